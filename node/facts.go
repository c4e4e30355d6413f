package node

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// Where the host's memory and load come from (Linux).
const (
	procMeminfo = "/proc/meminfo"
	procLoadavg = "/proc/loadavg"
)

// collectFacts describes this host for a RegisterRequest. Values that
// cannot be read are left zero.
func collectFacts(cfg Config) api.NodeFacts {
	host, _ := os.Hostname()
	total, free := readMeminfo(procMeminfo)
	return api.NodeFacts{
		Hostname:    host,
		OS:          runtime.GOOS,
		Arch:        runtime.GOARCH,
		CPUs:        cfg.CPUs,
		Slots:       cfg.Slots,
		MemoryTotal: total,
		MemoryFree:  free,
		Load1:       readLoad1(procLoadavg),
		Tags:        append([]string(nil), cfg.Tags...),
		Version:     api.Version,
	}
}

// readMeminfo returns MemTotal and MemAvailable (MemFree on kernels
// without it) in bytes from a /proc/meminfo-formatted file.
func readMeminfo(path string) (total, free int64) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	var memFree, avail int64 = 0, -1
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		if len(fields) > 1 && fields[1] == "kB" {
			n *= 1024
		}
		switch key {
		case "MemTotal":
			total = n
		case "MemFree":
			memFree = n
		case "MemAvailable":
			avail = n
		}
	}
	if avail >= 0 {
		return total, avail
	}
	return total, memFree
}

// readLoad1 returns the one-minute load average from a
// /proc/loadavg-formatted file.
func readLoad1(path string) float64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 0
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return 0
	}
	return v
}
