package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
)

// Exec starts a process on one of the nodes of a running multi-node task
// (or the node of a single-node one): inside the task's current attempt,
// in its work directory, with its environment, killed with it.
//
//	client ──POST /jobs/{id}/tasks/{task}/exec──▶ server ──Command{Exec}──▶ node
//	client ◀── NDJSON ExecOutput lines ────────── server ◀── ExecMessage ── node
//	                                                   shrike.node.<name>.exec.<id>
//
// The server subscribes to the exec's subject before it sends the command,
// so nothing the process writes is missed, and relays what the node
// publishes there until the end message.

// TaskExecRequest is the body of POST /api/v1/jobs/{id}/tasks/{task}/exec.
type TaskExecRequest struct {
	// Node is one of the nodes of the task's current attempt.
	Node string `json:"node"`
	// Command is the process's argv; no shell is involved (the CLI, like
	// ssh, wraps its arguments in /bin/sh -c).
	Command []string `json:"command"`
	// Env is added to the task's environment (SHRIKE_* variables win).
	Env map[string]string `json:"env,omitempty"`
}

// Names of ExecOutput.Stream.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
)

// ExecOutput is one line of the NDJSON answer of an exec: a piece of the
// process's output (Stream and Data), then, last, either ExitCode (the
// process ended: its exit code, 128+signal if a signal ended it) or Error
// (it could not be started, or the relay broke: the outcome is unknown).
type ExecOutput struct {
	Stream   string `json:"stream,omitempty"`
	Data     []byte `json:"data,omitempty"` // base64 in JSON: output need not be text
	ExitCode *int   `json:"exit_code,omitempty"`
	Error    *Error `json:"error,omitempty"`
}

// ExecRequest (Command.Exec) asks a node to start a process inside an
// attempt it runs or holds, or, with Kill set, to kill the process group
// of the exec ID it started earlier. The node answers Accepted with the
// attempt once the process has started, or an Error (CodeNotFound: the
// node runs no such attempt), then publishes ExecMessages on
// SubjectExec(node, ID).
type ExecRequest struct {
	TaskRef
	// ID names the exec (ValidateExecID), unique per server.
	ID   string            `json:"id"`
	Argv []string          `json:"argv,omitempty"`
	Env  map[string]string `json:"env,omitempty"`
	Kill bool              `json:"kill,omitempty"`
}

// ExecMessage is what a node publishes about an exec: output chunks, then
// one message with End set. Seq counts the messages from 1, so the server
// can tell that one was lost.
type ExecMessage struct {
	Seq      uint64 `json:"seq"`
	Stream   string `json:"stream,omitempty"`
	Data     []byte `json:"data,omitempty"`
	End      bool   `json:"end,omitempty"`
	ExitCode int    `json:"exit_code,omitempty"`
	// Error, on the end message, says the process's output could not be
	// read to its end; the exit code is still the process's.
	Error string `json:"error,omitempty"`
}

// SubjectExec is where node publishes the output of exec id.
func SubjectExec(node, id string) string { return "shrike.node." + node + ".exec." + id }

var execIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidateExecID checks that id can be the last token of SubjectExec.
func ValidateExecID(id string) error {
	if !execIDRE.MatchString(id) {
		return fmt.Errorf("invalid exec id %q: use letters, digits, '-' and '_' (at most 64)", id)
	}
	return nil
}

// ExecTask runs req.Command on req.Node inside the running task of job
// jobID (POST /api/v1/jobs/{id}/tasks/{task}/exec), writes the process's
// stdout and stderr to stdout and stderr as they come, and returns its exit
// code. An error means the outcome is unknown: the request was refused
// (*Error), the process could not be started, or the stream broke.
func (c *Client) ExecTask(ctx context.Context, jobID int64, task string, req TaskExecRequest, stdout, stderr io.Writer) (int, error) {
	path := jobPath(jobID) + "/tasks/" + url.PathEscape(task) + "/exec"
	resp, err := c.send(ctx, http.MethodPost, path, nil, jsonBody(req))
	if err != nil {
		return -1, err
	}
	defer resp.Body.Close()
	code, err := readExecStream(resp.Body, stdout, stderr)
	if err != nil && ctx.Err() != nil {
		return -1, ctx.Err()
	}
	return code, err
}

// readExecStream copies an exec's NDJSON answer to stdout and stderr and
// returns the exit code of its last line.
func readExecStream(r io.Reader, stdout, stderr io.Writer) (int, error) {
	rd := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := rd.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var out ExecOutput
			if jerr := json.Unmarshal(line, &out); jerr != nil {
				return -1, fmt.Errorf("exec: reading the output: %w", jerr)
			}
			switch {
			case out.Error != nil:
				return -1, out.Error
			case out.ExitCode != nil:
				return *out.ExitCode, nil
			case out.Stream == StreamStderr:
				if _, werr := stderr.Write(out.Data); werr != nil {
					return -1, werr
				}
			default:
				if _, werr := stdout.Write(out.Data); werr != nil {
					return -1, werr
				}
			}
		}
		if err == io.EOF {
			return -1, fmt.Errorf("exec: the stream ended before the exit code")
		}
		if err != nil {
			return -1, fmt.Errorf("exec: reading the output: %w", err)
		}
	}
}
