package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// byteBarMin is the smallest file that gets a progress bar.
const byteBarMin = 4 << 20

// byteBar redraws one terminal line as a file's bytes move:
// "[######........................]  12.0 MiB/100.0 MiB  data/big.bin".
// It is an io.Writer that counts what passes (with io.TeeReader).
type byteBar struct {
	w     io.Writer
	name  string
	total int64
	done  int64
	shown int // the permille last drawn; -1 before the first
}

// newByteBar returns the bar of a file of size bytes, or nil when no bar
// is wanted (not a terminal, or a small file); a nil bar does nothing.
func newByteBar(e *env, name string, size int64) *byteBar {
	if size < byteBarMin || !e.stdoutIsTerminal() {
		return nil
	}
	return &byteBar{w: e.stdout, name: name, total: size, shown: -1}
}

// Write counts p and redraws the bar when it moved by a tenth of a percent.
func (b *byteBar) Write(p []byte) (int, error) {
	if b == nil {
		return len(p), nil
	}
	b.done += int64(len(p))
	if pm := int(min(b.done, b.total) * 1000 / b.total); pm != b.shown {
		b.shown = pm
		fmt.Fprintf(b.w, "\r%s\x1b[K", renderBytes(b.done, b.total, b.name, progressWidth))
	}
	return len(p), nil
}

// finish ends the bar's line.
func (b *byteBar) finish() {
	if b != nil && b.shown >= 0 {
		fmt.Fprintln(b.w)
	}
}

// reader returns r counted by the bar (r itself for a nil bar).
func (b *byteBar) reader(r io.Reader) io.Reader {
	if b == nil {
		return r
	}
	return io.TeeReader(r, b)
}

// renderBytes draws "[#####.....]  5.0 MiB/10.0 MiB  name".
func renderBytes(done, total int64, name string, width int) string {
	filled := 0
	if total > 0 {
		filled = int(min(done, total) * int64(width) / total)
	}
	return fmt.Sprintf("[%s%s]  %s/%s  %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		api.HumanBytes(done), api.HumanBytes(total), name)
}

// writer returns w, also counted by the bar (w itself for a nil bar).
func (b *byteBar) writer(w io.Writer) io.Writer {
	if b == nil {
		return w
	}
	return io.MultiWriter(w, b)
}
