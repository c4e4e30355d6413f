package main

import (
	"strconv"
	"strings"
	"testing"
)

func TestTaskExec(t *testing.T) {
	c := newCLI(t)
	id := c.submitAsAlice("mpi")
	c.fake.RunTaskOn(id, "say", "n1", "n2", "n3")

	// Like ssh: the arguments are joined and run by /bin/sh -c, the
	// remote exit code is shrike's.
	code, out, errOut := c.run("task", "exec", "--job", strconv.FormatInt(id, 10), "--task", "say", "--env", "GREETING=hello",
		"n3", "echo", "$GREETING", "from", "$SHRIKE_NODE;", "echo", "oops", ">&2;", "exit", "7")
	if code != 7 || out != "hello from n3\n" || errOut != "oops\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 7, %q, %q", code, out, errOut, "hello from n3\n", "oops\n")
	}

	// Inside a task the job and task come from its environment; flags of
	// the remote command are not shrike's.
	c.vars[envJobID] = strconv.FormatInt(id, 10)
	c.vars[envTask] = "say"
	out = c.mustRun("task", "exec", "n2", "printf", "'%s|'", "-n", "x")
	if out != "-n|x|" {
		t.Errorf("stdout %q", out)
	}

	// Refusals and transport problems exit 255, like ssh.
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"n9", "true"}, "not one of the nodes"},
		{[]string{"n1"}, "want NODE and a COMMAND"},
		{[]string{"--task", "nope", "n1", "true"}, "no task"},
	} {
		code, _, errOut := c.run(append([]string{"task", "exec"}, tc.args...)...)
		if code != 255 || !strings.Contains(errOut, tc.msg) {
			t.Errorf("task exec %v: exit %d, stderr %q; want 255 and %q", tc.args, code, errOut, tc.msg)
		}
	}
	delete(c.vars, envJobID)
	if code, _, errOut := c.run("task", "exec", "n1", "true"); code != 255 || !strings.Contains(errOut, "--job") {
		t.Errorf("without a job: exit %d, stderr %q", code, errOut)
	}
}
