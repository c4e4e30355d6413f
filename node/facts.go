package node

import (
	"bufio"
	"bytes"
	"context"
	"maps"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// Where the host's memory and load come from (Linux).
const (
	procMeminfo = "/proc/meminfo"
	procLoadavg = "/proc/loadavg"
)

// nvidiaSMI is the command that lists the GPUs; a variable so tests can
// point it elsewhere. gpuProbeTimeout bounds one run of it.
var (
	nvidiaSMI       = "nvidia-smi"
	gpuProbeTimeout = 3 * time.Second
)

// collectFacts describes this host for a RegisterRequest. Values that
// cannot be read are left zero.
func collectFacts(cfg Config) api.NodeFacts {
	host, _ := os.Hostname()
	total, free := readMeminfo(procMeminfo)
	diskTotal, diskFree := diskStats(cfg.WorkDir)
	var custom map[string]string
	if len(cfg.Facts) > 0 {
		custom = maps.Clone(cfg.Facts)
	}
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
		DiskFree:    diskFree,
		DiskTotal:   diskTotal,
		GPUs:        detectGPUs(nvidiaSMI),
		IPs:         localIPs(),
		Custom:      custom,

		SharedSpaces: maps.Clone(cfg.SharedSpaces),
	}
}

// diskStats returns the size and the space available to unprivileged
// users of the file system holding dir, in bytes; zeros if it cannot be
// read.
func diskStats(dir string) (total, free int64) {
	if dir == "" {
		return 0, 0
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0
	}
	bsize := int64(st.Bsize)
	return int64(st.Blocks) * bsize, int64(st.Bavail) * bsize
}

// diskFree is the free space in dir, for heartbeats.
func diskFree(dir string) int64 {
	_, free := diskStats(dir)
	return free
}

// detectGPUs lists the GPUs with the nvidia-smi command cmd. A missing
// command, a failure or a timeout means no GPUs.
func detectGPUs(cmd string) []api.GPU {
	path, err := exec.LookPath(cmd)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), gpuProbeTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, path, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits")
	c.WaitDelay = time.Second
	out, err := c.Output()
	if err != nil {
		return nil
	}
	return parseNvidiaSMI(out)
}

// maxGPUs bounds what parseNvidiaSMI accepts, against runaway output.
const maxGPUs = 256

// parseNvidiaSMI parses the output of
// `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`:
// one "name, MiB" line per GPU (the name may itself hold commas, the
// memory is after the last one). Malformed lines (no comma, no name, a
// memory that is neither a number nor N/A) are skipped; an unknown memory
// is reported as 0.
func parseNvidiaSMI(out []byte) []api.GPU {
	var gpus []api.GPU
	for line := range strings.Lines(string(out)) {
		i := strings.LastIndexByte(line, ',')
		if i < 0 {
			continue
		}
		name, mem := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
		if name == "" {
			continue
		}
		var size int64
		switch mib, err := strconv.ParseInt(mem, 10, 64); {
		case err == nil && mib >= 0 && mib < 1<<43:
			size = mib << 20
		case strings.Trim(mem, "[]") == "N/A":
		default:
			continue
		}
		gpus = append(gpus, api.GPU{Model: name, MemoryTotal: size})
		if len(gpus) == maxGPUs {
			break
		}
	}
	return gpus
}

// localIPs returns the unicast addresses of the up, non-loopback
// interfaces: IPv4 first, each family sorted.
func localIPs() []string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var addrs []netip.Addr
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		as, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range as {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			ip = ip.Unmap()
			// Loopback and link-local addresses (fe80::/10, 169.254/16) do
			// not reach the node from elsewhere: they are no use as its IP.
			if ip.IsLoopback() || ip.IsMulticast() || ip.IsUnspecified() || ip.IsLinkLocalMulticast() || ip.IsLinkLocalUnicast() {
				continue
			}
			addrs = append(addrs, ip)
		}
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int {
		if a.Is4() != b.Is4() {
			if a.Is4() {
				return -1
			}
			return 1
		}
		return a.Compare(b)
	})
	addrs = slices.Compact(addrs)
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.String())
	}
	if len(out) == 0 {
		return nil
	}
	return out
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
