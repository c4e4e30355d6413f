package dataspace

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// BenchmarkTransfer1GiB pushes a 1 GiB file to a space over loopback HTTP
// and pulls it back, reporting each direction's throughput and the
// process's peak RSS (client and server together). It runs only with
// -bench:
//
//	go test -run '^$' -bench Transfer1GiB -benchtime 1x ./dataspace/
func BenchmarkTransfer1GiB(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 3 GiB to disk")
	}
	const size = 1 << 30
	spaces := spacesOf(b, testStore(b, Options{}))
	ts := newTransferServer(b, spaces)
	c := ts.client()
	src := b.TempDir()
	writeRandomFile(b, filepath.Join(src, "big.bin"), size)
	b.SetBytes(2 * size) // one push and one pull per op
	b.ResetTimer()
	var push, pull time.Duration
	for range b.N {
		start := time.Now()
		if n, err := c.Push(b.Context(), src, api.SpaceOutput, Selector{}); err != nil || n != 1 {
			b.Fatalf("Push = %d, %v", n, err)
		}
		push += time.Since(start)
		dst := b.TempDir()
		start = time.Now()
		if n, err := c.Pull(b.Context(), api.SpaceOutput, Selector{}, dst, false); err != nil || n != 1 {
			b.Fatalf("Pull = %d, %v", n, err)
		}
		pull += time.Since(start)
		b.StopTimer()
		if err := spaces[api.SpaceOutput].Remove("big.bin"); err != nil {
			b.Fatal(err)
		}
		if err := os.RemoveAll(dst); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N)*size/1e6/push.Seconds(), "push_MB/s")
	b.ReportMetric(float64(b.N)*size/1e6/pull.Seconds(), "pull_MB/s")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak_RSS_MiB") // Linux: KiB
	}
}

// writeRandomFile writes size pseudo-random bytes, 1 MiB at a time.
func writeRandomFile(b *testing.B, path string, size int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.NewChaCha8([32]byte{42})
	buf := make([]byte, 1<<20)
	for n := 0; n < size; n += len(buf) {
		_, _ = r.Read(buf)
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil { // no writeback of the setup during the timing
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTransfer10kFiles pushes 10,000 small files (one task's
// outputs) to a space over loopback HTTP and pulls them back:
//
//	go test -run '^$' -bench Transfer10kFiles -benchtime 1x ./dataspace/
func BenchmarkTransfer10kFiles(b *testing.B) {
	if testing.Short() {
		b.Skip("10,000 files")
	}
	const files = 10_000
	spaces := spacesOf(b, testStore(b, Options{}))
	ts := newTransferServer(b, spaces)
	c := ts.client()
	c.Parallel = 16
	src := b.TempDir()
	for d := range 100 {
		dir := filepath.Join(src, fmt.Sprintf("d%02d", d))
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range files / 100 {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.txt", f)), fmt.Appendf(nil, "file %d/%d\n", d, f), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	var push, pull time.Duration
	for range b.N {
		start := time.Now()
		if n, err := c.Push(b.Context(), src, api.SpaceOutput, Selector{}); err != nil || n != files {
			b.Fatalf("Push = %d, %v", n, err)
		}
		push += time.Since(start)
		dst := b.TempDir()
		start = time.Now()
		if n, err := c.Pull(b.Context(), api.SpaceOutput, Selector{}, dst, false); err != nil || n != files {
			b.Fatalf("Pull = %d, %v", n, err)
		}
		pull += time.Since(start)
		b.StopTimer()
		if err := spaces[api.SpaceOutput].Remove("d00"); err != nil { // force re-uploads of part of the tree next time
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N)*files/push.Seconds(), "push_files/s")
	b.ReportMetric(float64(b.N)*files/pull.Seconds(), "pull_files/s")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak_RSS_MiB")
	}
}
