package node

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestReadProcFiles(t *testing.T) {
	dir := t.TempDir()
	meminfo := filepath.Join(dir, "meminfo")
	loadavg := filepath.Join(dir, "loadavg")
	if err := os.WriteFile(meminfo, []byte("MemTotal:       16000 kB\nMemFree:         1000 kB\nMemAvailable:    8000 kB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(loadavg, []byte("1.25 0.50 0.10 1/100 1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if total, free := readMeminfo(meminfo); total != 16000*1024 || free != 8000*1024 {
		t.Errorf("meminfo = %d, %d; want MemTotal and MemAvailable in bytes", total, free)
	}
	if l := readLoad1(loadavg); l != 1.25 {
		t.Errorf("load1 = %v, want 1.25", l)
	}
	if total, free := readMeminfo(filepath.Join(dir, "missing")); total != 0 || free != 0 {
		t.Errorf("missing meminfo = %d, %d; want zeros", total, free)
	}
}

func TestCleanLogs(t *testing.T) {
	a, err := New(Config{ServerURL: "nats://x", Token: "t", Name: "clean", WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	old, fresh := filepath.Join(a.logsDir, "1-1.log"), filepath.Join(a.logsDir, "2-1.log")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	a.cleanLogs(time.Now().Add(-DefaultLogRetention))
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("old log kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh log removed: %v", err)
	}
}
