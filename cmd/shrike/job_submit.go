package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// cmdJobSubmit is `shrike job submit`.
func cmdJobSubmit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job submit", "FILE [--var NAME=VALUE]... [--wait] [--json]",
		"Submit a job document. FILE ending in .yaml or .yml is sent as YAML, any\n"+
			"other as JSON; FILE \"-\" reads standard input (JSON if it starts with '{',\n"+
			"else YAML). The server checks the whole document and reports every problem.\n"+
			"With --wait, wait for the job like `shrike job wait` (same exit codes).",
		"shrike job submit pipeline.yaml --var input=/data/run42 --wait")
	server := serverFlag(fs)
	vars := varsFlag{}
	fs.Var(vars, "var", "override a job variable, NAME=VALUE (repeatable)")
	wait := fs.Bool("wait", false, "wait until the job is over; exit 0 FINISHED, 3 FAILED, 4 KILLED")
	asJSON := fs.Bool("json", false, "print the answer (or, with --wait, the final job) as JSON")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	doc, err := readJobDocument(e, pos[0])
	if err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	resp, err := c.SubmitJob(ctx, doc, contentTypeFor(pos[0], doc), vars)
	if err != nil {
		return err
	}
	for _, w := range resp.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	switch {
	case *wait:
		fmt.Fprintf(e.stderr, "Submitted job %d.\n", resp.ID)
		return waitForJob(ctx, e, c, resp.ID, 0, *asJSON)
	case *asJSON:
		return printJSON(e.stdout, resp)
	}
	fmt.Fprintf(e.stdout, "Submitted job %d.\n", resp.ID)
	return nil
}

// readJobDocument reads FILE, or standard input for "-".
func readJobDocument(e *env, file string) ([]byte, error) {
	if file == "-" {
		data, err := io.ReadAll(e.stdin)
		if err != nil {
			return nil, fmt.Errorf("reading the job from standard input: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the job: %w", err)
	}
	return data, nil
}

// contentTypeFor picks the Content-Type of a job document by its file
// name; standard input is sniffed.
func contentTypeFor(file string, doc []byte) string {
	if file == "-" {
		if bytes.HasPrefix(bytes.TrimSpace(doc), []byte("{")) {
			return "application/json"
		}
		return "application/yaml"
	}
	switch strings.ToLower(filepath.Ext(file)) {
	case ".yaml", ".yml":
		return "application/yaml"
	}
	return "application/json"
}
