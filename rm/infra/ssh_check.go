package infra

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// checkParallel is how many hosts Check asks at once.
const checkParallel = 16

// Check asks each host, in one command, which of its nodes' agents still
// run. Only definite deaths are reported: a host that cannot be reached
// may be back soon, and its nodes' missing heartbeats make them DOWN
// meanwhile.
func (s *sshInfra) Check(ctx context.Context, nodes []Deployed) map[string]string {
	lost := map[string]string{}
	byHost := map[string][]sshNode{}
	for _, d := range nodes {
		addr, pid, err := parseSSHHandle(d.Handle)
		if err != nil {
			lost[d.Name] = err.Error()
			continue
		}
		byHost[addr] = append(byHost[addr], sshNode{Deployed: d, pid: pid})
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, checkParallel)
	for addr, ns := range byHost {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			gone, err := s.checkHost(ctx, addr, ns)
			if err != nil {
				s.logger().Warn("ssh check: host not reached; its nodes are left as they are", "host", addr, "nodes", len(ns), "err", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, n := range ns {
				if reason, ok := gone[n.Name]; ok {
					lost[n.Name] = reason
					s.free(n.Name)
				} else {
					s.adopt(n.Name, addr)
				}
			}
		})
	}
	wg.Wait()
	return lost
}

// sshNode is a deployed node with its PID.
type sshNode struct {
	Deployed
	pid int
}

// checkHost returns the nodes among ns whose agents are gone from the
// host at addr, each with the reason and the end of its log.
func (s *sshInfra) checkHost(ctx context.Context, addr string, ns []sshNode) (map[string]string, error) {
	var b strings.Builder
	b.WriteString(aliveFunc)
	b.WriteString(`check() { if alive "$2" "$3"; then echo "alive $1"; else echo "gone $1"; tail -n ` +
		strconv.Itoa(logTailLines) + ` "$4/` + LogFile + `" 2>/dev/null | cut -c1-300 | sed 's/^/| /'; fi; }
`)
	for i, n := range ns {
		fmt.Fprintf(&b, "check %d %d %s %s\n", i, n.pid, shellQuote(n.Name), s.nodeDir(n.Name))
	}
	out, err := s.run(ctx, addr, b.String(), nil)
	if err != nil {
		return nil, err
	}
	tails := map[int][]string{} // by index in ns: the nodes gone, with their log's end
	cur := -1
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "| "); ok {
			if cur >= 0 {
				tails[cur] = append(tails[cur], rest)
			}
			continue
		}
		cur = -1
		if rest, ok := strings.CutPrefix(line, "gone "); ok {
			if i, err := strconv.Atoi(rest); err == nil && i >= 0 && i < len(ns) {
				cur = i
				tails[i] = []string{}
			}
		}
	}
	gone := map[string]string{}
	for i, tail := range tails {
		n := ns[i]
		reason := fmt.Sprintf("process %d on %s is gone", n.pid, addr)
		if t := tailLines(strings.Join(tail, "\n"), logTailLines); t != "" {
			reason += ": " + t
		}
		gone[n.Name] = reason
	}
	return gone, nil
}
