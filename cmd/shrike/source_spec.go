package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"gopkg.in/yaml.v3"
)

// paramFlags are the --X-param K=V and --X-param-file K=PATH flags of an
// infrastructure (X = infra) or a policy.
type paramFlags struct {
	name   string // "infra" or "policy"
	values varsFlag
	files  varsFlag
}

// addParamFlags registers --NAME-param and --NAME-param-file on fs.
func addParamFlags(fs *flag.FlagSet, name, what string) *paramFlags {
	fileExample := ""
	if name == "infra" {
		fileExample = ", like private_key=~/.ssh/id_ed25519"
	}
	p := &paramFlags{name: name, values: varsFlag{}, files: varsFlag{}}
	fs.Var(p.values, name+"-param", "a parameter of the "+what+", NAME=VALUE (repeatable)")
	fs.Var(p.files, name+"-param-file", "a parameter of the "+what+" read from a file, NAME=PATH"+fileExample+" (repeatable)")
	return p
}

// read returns the parameters given, files read; nil if none.
func (p *paramFlags) read() (map[string]string, error) {
	if len(p.values) == 0 && len(p.files) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(p.values)+len(p.files))
	for k, v := range p.values {
		out[k] = v
	}
	for k, path := range p.files {
		if _, dup := out[k]; dup {
			return nil, usageErrorf("parameter %s given with both --%s-param and --%s-param-file", k, p.name, p.name)
		}
		data, err := os.ReadFile(expandHome(path))
		if err != nil {
			return nil, fmt.Errorf("--%s-param-file %s: %w", p.name, k, err)
		}
		out[k] = string(data)
	}
	return out, nil
}

// expandHome replaces a leading "~/" by the user's home directory.
func expandHome(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return home + "/" + rest
		}
	}
	return path
}

// accessFlags are --use, --admin and --node-token; each replaces the whole
// list when given (an empty value gives an empty list).
type accessFlags struct {
	use, admin, nodeTokens listFlag
}

// addAccessFlags registers --use, --admin and --node-token on fs.
func addAccessFlags(fs *flag.FlagSet) *accessFlags {
	a := &accessFlags{}
	fs.Var(&a.use, "use", `who may run tasks on the nodes: "*", user:NAME or group:NAME (repeatable; default everyone)`)
	fs.Var(&a.admin, "admin", "who may administer the source besides the admins: user:NAME or group:NAME (repeatable)")
	fs.Var(&a.nodeTokens, "node-token", "a token the nodes carry: they then run only tasks that request it with node_token (repeatable)")
	return a
}

// given reports which flags of fs were set on the command line.
func given(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// listOrEmpty returns l, never nil (a given flag clears a list).
func listOrEmpty(l listFlag) []string {
	if l == nil {
		return []string{}
	}
	return []string(l)
}

// readSourceFile reads a node source definition (YAML or JSON) from file,
// or standard input for "-". Unknown fields are errors naming the field
// and its line.
func readSourceFile(e *env, file string) (api.NodeSourceSpec, error) {
	var (
		data []byte
		err  error
	)
	if file == "-" {
		data, err = io.ReadAll(e.stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return api.NodeSourceSpec{}, fmt.Errorf("reading the node source: %w", err)
	}
	spec, err := parseSourceSpec(data)
	if err != nil {
		return api.NodeSourceSpec{}, fmt.Errorf("%s: %w", file, err)
	}
	return spec, nil
}

// notFoundRE matches yaml.v3's unknown-field message.
var notFoundRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

// parseSourceSpec decodes one node source document, refusing unknown
// fields (yaml.v3 KnownFields) and more than one document.
func parseSourceSpec(data []byte) (api.NodeSourceSpec, error) {
	var spec api.NodeSourceSpec
	if len(bytes.TrimSpace(data)) == 0 {
		return spec, errors.New("empty node source document")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msgs := make([]string, len(te.Errors))
			for i, m := range te.Errors {
				msgs[i] = notFoundRE.ReplaceAllString(m, `unknown field "$1"`)
			}
			return spec, errors.New(strings.Join(msgs, "; "))
		}
		return spec, err
	}
	var more any
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return spec, errors.New("more than one document: want one node source per file")
	}
	return spec, nil
}
