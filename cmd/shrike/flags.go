package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/shrike-grid/shrike/api"
	"strconv"
	"strings"
)

// newFlags returns the flag set of the command name ("job submit"); -h
// prints its usage (name and argsUsage), what it does, an example and the
// flags on stderr.
func newFlags(e *env, name, argsUsage, summary, example string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: shrike %s %s\n\n%s\n\nExample:\n  %s\n", name, argsUsage, summary, example)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(e.stderr, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseArgs parses flags placed anywhere among the arguments ("job submit
// FILE --wait") and returns the positional arguments. Everything after
// "--" is positional. A bad flag is a usage error; -h returns flag.ErrHelp.
func parseArgs(fs *flag.FlagSet, args []string, nargs int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &codedError{code: exitUsage} // flag printed the problem and usage
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if nargs >= 0 && len(pos) != nargs {
		return nil, usageErrorf("%s: want %d argument(s), got %d (run 'shrike %s -h')",
			fs.Name(), nargs, len(pos), fs.Name())
	}
	return pos, nil
}

// parseJobID reads a job id argument.
func parseJobID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErrorf("invalid job id %q: want a positive number", s)
	}
	return id, nil
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// varsFlag is the repeatable --var NAME=VALUE flag.
type varsFlag map[string]string

func (v varsFlag) String() string {
	var parts []string
	for k, val := range v {
		parts = append(parts, k+"="+val)
	}
	return strings.Join(parts, " ")
}

func (v varsFlag) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	v[strings.TrimSpace(k)] = val
	return nil
}

// serverFlag registers --server on a client command.
func serverFlag(fs *flag.FlagSet) *string {
	return fs.String("server", "", "server address (default $"+envAddr+", then the one saved by login)")
}

// jobTarget parses a job command's flags and its one job ID argument, and
// returns the ID with a client for the server.
func jobTarget(e *env, fs *flag.FlagSet, server *string, args []string) (int64, *api.Client, error) {
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return 0, nil, err
	}
	id, err := parseJobID(pos[0])
	if err != nil {
		return 0, nil, err
	}
	c, err := newClient(e, *server)
	return id, c, err
}

// nodeTarget parses a node command's flags and its one node NAME argument,
// and returns the name with a client for the server.
func nodeTarget(e *env, fs *flag.FlagSet, server *string, args []string) (string, *api.Client, error) {
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return "", nil, err
	}
	name, err := parseNodeName(pos[0])
	if err != nil {
		return "", nil, err
	}
	c, err := newClient(e, *server)
	return name, c, err
}
