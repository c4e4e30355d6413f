package node

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
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

func TestDiskStats(t *testing.T) {
	total, free := diskStats(t.TempDir())
	if total <= 0 || free <= 0 || free > total {
		t.Errorf("disk stats of a temp dir = total %d, free %d; want 0 < free <= total", total, free)
	}
	if f := diskFree(t.TempDir()); f <= 0 {
		t.Errorf("diskFree = %d, want > 0", f)
	}
	if total, free := diskStats(filepath.Join(t.TempDir(), "missing")); total != 0 || free != 0 {
		t.Errorf("missing dir = %d, %d; want zeros", total, free)
	}
}

func TestLocalIPsHaveNoLoopback(t *testing.T) {
	ips := localIPs()
	seen6 := false
	for _, s := range ips {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			t.Fatalf("%q is not an IP: %v", s, err)
		}
		if ip.IsLoopback() || ip.IsUnspecified() || ip.IsMulticast() || ip.IsLinkLocalUnicast() {
			t.Errorf("address %s should not be reported", ip)
		}
		if ip.Is4() && seen6 {
			t.Errorf("IPv4 %s after an IPv6 address: %v", ip, ips)
		}
		seen6 = seen6 || !ip.Is4()
	}
}

func TestParseNvidiaSMI(t *testing.T) {
	out := "NVIDIA A100-SXM4-80GB, 81920\n" +
		"  Tesla T4 , 15360  \r\n" +
		"\n" +
		"No devices were found\n" + // no comma
		", 1024\n" + // no name
		"Broken GPU, lots\n" + // memory not a number
		"NVIDIA H100, [N/A]\n" + // memory unknown
		"Odd, Name, With Commas, 2048\n" +
		"Negative, -5\n"
	want := []api.GPU{
		{Model: "NVIDIA A100-SXM4-80GB", MemoryTotal: 81920 << 20},
		{Model: "Tesla T4", MemoryTotal: 15360 << 20},
		{Model: "NVIDIA H100"},
		{Model: "Odd, Name, With Commas", MemoryTotal: 2048 << 20},
	}
	if got := parseNvidiaSMI([]byte(out)); !slices.Equal(got, want) {
		t.Errorf("parseNvidiaSMI =\n%+v\nwant\n%+v", got, want)
	}
	for _, in := range []string{"", "\n\n", "garbage", "Failed to initialize NVML: Driver/library version mismatch"} {
		if got := parseNvidiaSMI([]byte(in)); len(got) != 0 {
			t.Errorf("parseNvidiaSMI(%q) = %+v, want none", in, got)
		}
	}
}

func TestDetectGPUs(t *testing.T) {
	if got := detectGPUs(filepath.Join(t.TempDir(), "no-nvidia-smi")); got != nil {
		t.Errorf("missing nvidia-smi: GPUs %+v, want none", got)
	}
	if got := detectGPUs("shrike-no-such-command-nvidia-smi"); got != nil {
		t.Errorf("nvidia-smi not on PATH: GPUs %+v, want none", got)
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "nvidia-smi")
	script := "#!/bin/sh\n[ \"$1\" = --query-gpu=name,memory.total ] || exit 2\necho 'Tesla T4, 15360'\necho 'Tesla T4, 15360'\n"
	if err := os.WriteFile(fake, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	if got := detectGPUs(fake); len(got) != 2 || got[0] != (api.GPU{Model: "Tesla T4", MemoryTotal: 15360 << 20}) {
		t.Errorf("fake nvidia-smi: GPUs %+v, want two Tesla T4", got)
	}
	failing := filepath.Join(dir, "failing-smi")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\necho 'Tesla T4, 15360'\nexit 9\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if got := detectGPUs(failing); got != nil {
		t.Errorf("failing nvidia-smi: GPUs %+v, want none", got)
	}
}

func TestCollectFacts(t *testing.T) {
	old := nvidiaSMI
	nvidiaSMI = filepath.Join(t.TempDir(), "absent")
	defer func() { nvidiaSMI = old }()
	cfg := Config{WorkDir: t.TempDir(), CPUs: 2, Slots: 2, Facts: map[string]string{"rack": "7"}}
	f := collectFacts(cfg)
	if f.DiskFree <= 0 || f.DiskTotal < f.DiskFree || f.GPUs != nil || f.Custom["rack"] != "7" {
		t.Errorf("facts = %+v", f)
	}
	cfg.Facts["rack"] = "8"
	if f.Custom["rack"] != "7" {
		t.Error("facts share the config's custom facts map")
	}
}
