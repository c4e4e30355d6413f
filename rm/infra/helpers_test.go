package infra

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeAgentScript stands in for `shrike node`: it records its arguments,
// its credentials file's mode and content in its work directory
// (`node --work DIR --credentials FILE ...`), starts a child in its
// process group, says it is up, then waits. With --fail it exits 1 at
// once; with --ignore-term it (and its child) ignore SIGTERM.
const fakeAgentScript = `#!/bin/sh
dir=$3
creds=$5
for a in "$@"; do
	case $a in
	--fail) echo "fatal: cannot reach nats" >&2; exit 1 ;;
	--ignore-term) trap '' TERM ;;
	esac
done
printf '%s\n' "$@" >"$dir/argv.tmp"
stat -c %a "$creds" >"$dir/creds.mode"
cp "$creds" "$dir/creds.seen"
(trap '' TERM; exec sleep 100000) &
echo $! >"$dir/child.pid"
echo "fake agent up"
mv "$dir/argv.tmp" "$dir/argv"
while :; do sleep 1; done
`

// writeFakeAgent writes fakeAgentScript to an executable file in dir.
func writeFakeAgent(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "fake-shrike")
	if err := os.WriteFile(path, []byte(fakeAgentScript), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitFor polls cond; the deadline only catches hangs.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitForAgent waits until the fake agent of workDir is up and returns
// the arguments it got.
func waitForAgent(t *testing.T, workDir string) []string {
	t.Helper()
	var data []byte
	waitFor(t, "the agent in "+workDir, func() bool {
		var err error
		data, err = os.ReadFile(filepath.Join(workDir, "argv"))
		return err == nil
	})
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// readPID reads a PID the fake agent wrote.
func readPID(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// processGone reports whether pid has ended (a zombie nobody reaped yet
// has ended too).
func processGone(pid int) bool {
	// A process whose exit is under way (its command line already empty,
	// not yet a zombie) is given a moment to finish.
	deadline := time.Now().Add(5 * time.Second)
	for !processGoneNow(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func processGoneNow(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) != nil
	}
	// "pid (comm) S ...": the state follows the last ')'.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] == "Z"
}

// killGroup ends a test's process group, whatever the test did.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
