package node

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

func TestOwnerFileDrivesHeartbeats(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	path := filepath.Join(t.TempDir(), "owner.json")
	writeOwner := func(content string) {
		t.Helper()
		if err := os.WriteFile(path+".tmp", []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	writeOwner(`{"input_idle":"10m","load":0.2}`)
	cfg := testConfig(t, s.ClientURL(), "owner")
	cfg.OwnerSource = OwnerFile{Path: path}
	startAgent(t, cfg)
	waitRegistered(t, fs, 1)

	ownerIs := func(want *api.OwnerReading) func() bool {
		return func() bool {
			hb, ok := fs.lastHeartbeat()
			if !ok || hb.Name != "owner" {
				return false
			}
			if want == nil || hb.Owner == nil {
				return want == nil && hb.Owner == nil
			}
			return *hb.Owner == *want
		}
	}
	waitFor(t, "owner idle 10m, load 0.2", ownerIs(&api.OwnerReading{InputIdle: api.Duration(10 * time.Minute), Load: 0.2}))
	writeOwner(`{"input_idle":"5s","load":1.5}`)
	waitFor(t, "owner idle 5s, load 1.5", ownerIs(&api.OwnerReading{InputIdle: api.Duration(5 * time.Second), Load: 1.5}))
	writeOwner(`{"input_idle":"5s","load":-1}`) // invalid: no reading
	waitFor(t, "no owner reading", ownerIs(nil))
	writeOwner(`{"input_idle":120,"load":0}`) // seconds also work
	waitFor(t, "owner idle 2m", ownerIs(&api.OwnerReading{InputIdle: api.Duration(2 * time.Minute)}))
}

func TestNoOwnerSourceNoReading(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	startAgent(t, testConfig(t, s.ClientURL(), "noowner"))
	waitFor(t, "two heartbeats", func() bool { return len(fs.heartbeatList()) >= 2 })
	for _, hb := range fs.heartbeatList() {
		if hb.Owner != nil || hb.Suspended {
			t.Errorf("heartbeat owner %+v suspended %v, want neither", hb.Owner, hb.Suspended)
		}
	}
}

func TestOwnerFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := map[string]string{
		"not json":      `idle`,
		"negative idle": `{"input_idle":-5,"load":0}`,
		"bad duration":  `{"input_idle":"soon","load":0}`,
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if r, err := (OwnerFile{Path: p}).Read(time.Now()); err == nil {
				t.Errorf("Read = %+v, want an error", r)
			}
		})
	}
	if _, err := (OwnerFile{Path: filepath.Join(dir, "missing")}).Read(time.Now()); err == nil {
		t.Error("Read of a missing file: want an error")
	}
}

// Canned /proc/interrupts texts.
const (
	laptopInterrupts = `           CPU0       CPU1       CPU2       CPU3
  0:         11          0          0          0  IR-IO-APIC    2-edge      timer
  1:          0       4521          0          0  IR-IO-APIC    1-edge      i8042
  8:          0          0          1          0  IR-IO-APIC    8-edge      rtc0
 12:          0          0      98213          0  IR-IO-APIC   12-edge      i8042
 16:          0          0          0          0  IR-IO-APIC   16-fasteoi   i801_smbus
 51:          0         17          0       2110  IR-IO-APIC   51-fasteoi   ELAN0662:00
 52:          0          0         44          0  IR-IO-APIC   52-fasteoi   i2c_hid_acpi
122:          0     123456          0          0  IR-PCI-MSI 327680-edge      xhci_hcd
123:      55112          0          0          0  IR-PCI-MSI 520192-edge      enp0s31f6
NMI:         12         10          9         11   Non-maskable interrupts
LOC:    8312331    7999123    8123444    8001122   Local timer interrupts
ERR:          0
MIS:          0
`
	oldDesktopInterrupts = `           CPU0
  1:       3318    XT-PIC-XT-PIC    keyboard
 11:        942    IO-APIC-level  uhci_hcd:usb1, ehci_hcd:usb2
 12:      77312    XT-PIC-XT-PIC    PS/2 Mouse
 14:      20001    IO-APIC-edge  ide0
`
	vmInterrupts = `           CPU0       CPU1
 24:          1          0  IO-APIC   5-edge      ACPI:Ged
 26:          0         15  IO-APIC   4-edge      ttyS0
 34:        139          0 PCI-MSIX-0000:00:05.0   1-edge      virtio4-input
 38:          0       7659 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0
LOC:    9489656    8709235   Local timer interrupts
`
)

func TestParseInputInterrupts(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		text string
		want map[string]uint64
	}{
		"laptop: PS/2, i2c touchpad, USB": {laptopInterrupts, map[string]uint64{"1": 4521, "12": 98213, "52": 44, "122": 123456}},
		"old desktop":                     {oldDesktopInterrupts, map[string]uint64{"1": 3318, "11": 942, "12": 77312}},
		"virtual machine: no input":       {vmInterrupts, map[string]uint64{}},
		"empty":                           {"", map[string]uint64{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := parseInputInterrupts([]byte(tc.text)); !maps.Equal(got, tc.want) {
				t.Errorf("parseInputInterrupts = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseLoadavg(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		text    string
		want    float64
		wantErr bool
	}{
		"usual": {"0.52 0.58 0.59 2/1023 12345\n", 0.52, false},
		"busy":  {"12.00 8.10 4.00 9/400 1", 12, false},
		"empty": {"", 0, true},
		"bad":   {"high 1 1", 0, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseLoadavg([]byte(tc.text))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseLoadavg = %v, %v; want %v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestProcOwner(t *testing.T) {
	t.Parallel()
	proc, dev := t.TempDir(), t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
	touch := func(path string, at time.Time) {
		t.Helper()
		write(path, "")
		if err := os.Chtimes(path, at, t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(proc, "interrupts"), oldDesktopInterrupts)
	write(filepath.Join(proc, "loadavg"), "2.50 1.00 1.00 3/200 99\n")
	touch(filepath.Join(dev, "pts", "0"), t0.Add(-time.Hour))
	touch(filepath.Join(dev, "ttyS0"), t0.Add(10*time.Minute)) // a serial line: not input
	touch(filepath.Join(dev, "tty"), t0.Add(10*time.Minute))   // /dev/tty itself: not input

	p := newProcOwner(proc, dev, t0)
	tasks := 2
	p.bindTasks(func() int { return tasks })
	check := func(step string, at time.Time, idle time.Duration, load float64) {
		t.Helper()
		r, err := p.Read(at)
		if err != nil {
			t.Fatalf("%s: Read: %v", step, err)
		}
		if time.Duration(r.InputIdle) != idle || r.Load != load {
			t.Errorf("%s: idle %s load %g, want idle %s load %g", step, time.Duration(r.InputIdle), r.Load, idle, load)
		}
	}
	check("first read: idle since the source started", t0.Add(time.Minute), time.Minute, 0.5)
	write(filepath.Join(proc, "interrupts"), strings.Replace(oldDesktopInterrupts, "77312", "77390", 1))
	check("the mouse moved", t0.Add(2*time.Minute), 0, 0.5)
	check("no input since", t0.Add(5*time.Minute), 3*time.Minute, 0.5)
	touch(filepath.Join(dev, "pts", "3"), t0.Add(4*time.Minute))
	check("typing in a terminal", t0.Add(5*time.Minute), time.Minute, 0.5)
	touch(filepath.Join(dev, "input", "event4"), t0.Add(5*time.Minute+30*time.Second))
	check("an input event device", t0.Add(6*time.Minute), 30*time.Second, 0.5)
	tasks = 3
	check("grid load above the load average", t0.Add(6*time.Minute), 30*time.Second, 0)

	if err := os.Remove(filepath.Join(proc, "loadavg")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Read(t0.Add(7 * time.Minute)); err == nil {
		t.Error("Read without a load average: want an error")
	}
}
