package infra

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// The files in a deployed node's work directory.
const (
	// CredentialsFile holds the node's api.NodeCredentials (mode 0600).
	CredentialsFile = "credentials.json"
	// LogFile collects the agent's stdout and stderr.
	LogFile = "agent.log"
)

// logTailLines is how many lines of a dead agent's log its LOST reason
// quotes.
const logTailLines = 5

// agentArgs is the agent's command line after the binary: dir and creds
// are inserted as given (already quoted where a shell reads them), extra
// follows.
func agentArgs(dir, creds string, extra ...string) []string {
	return append([]string{"node", "--work", dir, "--credentials", creds}, extra...)
}

// writeCredentials writes c as JSON to dir/CredentialsFile, mode 0600,
// atomically: the agent never reads half a file.
func writeCredentials(dir string, c api.NodeCredentials) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, CredentialsFile+".*") // mode 0600
	if err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, CredentialsFile))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write credentials: %w", err)
	}
	return nil
}

// logTail returns the last lines of the file at path, joined by " | ";
// "" when it cannot be read or is empty.
func logTail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const window = 4096
	buf := make([]byte, window)
	var off int64
	if st, err := f.Stat(); err == nil && st.Size() > window {
		off = st.Size() - window
	}
	n, _ := f.ReadAt(buf, off)
	text := string(buf[:n])
	if off > 0 { // the window starts inside a line: drop it
		_, text, _ = strings.Cut(text, "\n")
	}
	return tailLines(text, logTailLines)
}

// tailLines keeps the last n non-blank lines of s, joined by " | ".
func tailLines(s string, n int) string {
	var lines []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
