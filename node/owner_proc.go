package node

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// ProcOwner is the Linux OwnerSource (--watch-owner). It reads no X or
// Wayland session: it works the same on a console, under any desktop and
// over ssh, and needs no helper in the owner's session.
//
// Input idle is the time since the most recent of:
//
//   - a change, between two reads, of the interrupt counts in
//     /proc/interrupts of the lines that look like input devices: PS/2
//     keyboards and mice (i8042, "keyboard", "mouse"), HID devices
//     ("hid", such as i2c touchpads) and USB host controllers ("usb",
//     "xhci", "ehci", "ohci", "uhci"). A changed count counts as input at
//     the read that saw it, so the resolution is the heartbeat interval.
//     USB keyboards and mice share their controller's interrupt line with
//     every other USB device, so USB disk or camera traffic also reads as
//     input: the error is on the safe side (the owner seems present).
//   - the access times of /dev/input/event* and of the terminals
//     (/dev/tty<N>, /dev/pts/<N>); the kernel updates a terminal's access
//     time when it is typed on, which covers ssh and console sessions.
//   - the moment the source was created: with no evidence yet, the owner
//     is taken to have been active just before the agent started.
//
// Load is the 1-minute load average of /proc/loadavg minus the number of
// grid attempts using CPU (none while the node is suspended), floored at
// 0. It assumes each attempt adds about 1 to the load: a multi-threaded
// task adds more and an idle or I/O-bound one less, and the average lags
// about a minute behind tasks starting, ending or being suspended, so it
// is an approximation of the owner's own load, good enough for a
// threshold like "owner load above 0.5".
type ProcOwner struct {
	proc, dev string

	mu        sync.Mutex
	since     time.Time         // creation: the baseline activity
	counts    map[string]uint64 // input interrupt counts at the last read
	lastInput time.Time         // the last read that saw an input interrupt
	tasks     func() int        // grid attempts using CPU; nil: none
}

var (
	_ OwnerSource = (*ProcOwner)(nil)
	_ taskCounter = (*ProcOwner)(nil)
)

// NewProcOwner returns the Linux owner source reading /proc and /dev, with
// now as its baseline activity.
func NewProcOwner(now time.Time) *ProcOwner {
	return newProcOwner("/proc", "/dev", now)
}

func newProcOwner(proc, dev string, now time.Time) *ProcOwner {
	return &ProcOwner{proc: proc, dev: dev, since: now}
}

func (p *ProcOwner) bindTasks(count func() int) {
	p.mu.Lock()
	p.tasks = count
	p.mu.Unlock()
}

// Read returns the owner's input idle time and load at now. It fails only
// when the load average cannot be read; missing interrupt or device
// information just gives less evidence of input.
func (p *ProcOwner) Read(now time.Time) (api.OwnerReading, error) {
	load1, err := readLoadavg(filepath.Join(p.proc, "loadavg"))
	if err != nil {
		return api.OwnerReading{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if data, err := os.ReadFile(filepath.Join(p.proc, "interrupts")); err == nil {
		counts := parseInputInterrupts(data)
		if p.counts != nil && countsChanged(p.counts, counts) {
			p.lastInput = now
		}
		p.counts = counts
	}
	last := p.since
	if p.lastInput.After(last) {
		last = p.lastInput
	}
	if t := latestDeviceAccess(p.dev); t.After(last) {
		last = t
	}
	tasks := 0
	if p.tasks != nil {
		tasks = p.tasks()
	}
	return api.OwnerReading{
		InputIdle: api.Duration(max(now.Sub(last), 0)),
		Load:      max(load1-float64(tasks), 0),
	}, nil
}

// inputIRQ matches the description of an interrupt line that input
// devices use.
var inputIRQ = regexp.MustCompile(`(?i)i8042|keyboard|mouse|hid|usb|[xeou]hci`)

// parseInputInterrupts returns the total count (over all CPUs) of every
// input-looking line of a /proc/interrupts text, by interrupt name.
//
//	         CPU0       CPU1
//	1:          9          0   IO-APIC   1-edge      i8042
func parseInputInterrupts(data []byte) map[string]uint64 {
	counts := make(map[string]uint64)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	ncpu := -1
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if ncpu < 0 { // the header: one column per CPU
			ncpu = len(fields)
			continue
		}
		if len(fields) < 2 || !strings.HasSuffix(fields[0], ":") {
			continue
		}
		irq := strings.TrimSuffix(fields[0], ":")
		var total uint64
		i := 1
		for ; i < len(fields) && i <= ncpu; i++ {
			n, err := strconv.ParseUint(fields[i], 10, 64)
			if err != nil {
				break
			}
			total += n
		}
		if desc := strings.Join(fields[i:], " "); desc != "" && inputIRQ.MatchString(desc) {
			counts[irq] = total
		}
	}
	return counts
}

// countsChanged reports whether any input interrupt count differs, or an
// input line came or went (a device plugged in or out).
func countsChanged(before, after map[string]uint64) bool {
	if len(before) != len(after) {
		return true
	}
	for irq, n := range after {
		if m, ok := before[irq]; !ok || m != n {
			return true
		}
	}
	return false
}

// terminalName matches the terminals whose access time tells of input:
// virtual consoles (tty1) and pseudo-terminals (pts/3), not serial lines
// or /dev/tty itself.
var terminalName = regexp.MustCompile(`^(tty|pts/)[0-9]+$`)

// latestDeviceAccess returns the latest access time of the input event
// devices and terminals under dev; zero if none can be read.
func latestDeviceAccess(dev string) time.Time {
	var paths []string
	if m, err := filepath.Glob(filepath.Join(dev, "input", "event*")); err == nil {
		paths = append(paths, m...)
	}
	for _, pattern := range []string{"tty*", "pts/*"} {
		m, _ := filepath.Glob(filepath.Join(dev, pattern))
		for _, p := range m {
			if rel, err := filepath.Rel(dev, p); err == nil && terminalName.MatchString(rel) {
				paths = append(paths, p)
			}
		}
	}
	var latest time.Time
	for _, p := range paths {
		if t, ok := accessTime(p); ok && t.After(latest) {
			latest = t
		}
	}
	return latest
}

// readLoadavg returns the 1-minute load average of a /proc/loadavg file.
func readLoadavg(path string) (float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("load average: %w", err)
	}
	return parseLoadavg(data)
}

// parseLoadavg reads the first field of a /proc/loadavg text.
func parseLoadavg(data []byte) (float64, error) {
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 0, fmt.Errorf("load average: empty")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("load average: bad value %q", fields[0])
	}
	return v, nil
}

// accessTime returns the last access time of path.
func accessTime(path string) (time.Time, bool) {
	info, err := os.Stat(path)
	if err != nil {
		return time.Time{}, false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(st.Atim.Sec, st.Atim.Nsec), true
}
