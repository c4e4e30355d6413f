package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/shrike-grid/shrike/api"
)

// Rejection messages. Those of nodes that take no work are the nodes' own
// Unavailable text ("down").
const (
	msgNoSlot     = "no free slot"
	msgNoFreeNode = "no free node"
	msgNoNodes    = "no nodes registered"
)

// shape is what a task asks of a node, besides a slot.
type shape struct {
	cpu, mem int64
}

// verdict is the outcome of checking one task shape against one node, in
// the order of the checks: the cheapest first.
type verdict uint8

const (
	fits verdict = iota
	noSlot
	noCPU
	noMemory
)

// check tells whether need fits on node n, or the first reason it does not.
func check(n *room, need shape) verdict {
	switch {
	case n.Slots <= 0:
		return noSlot
	case n.MilliCPU < need.cpu:
		return noCPU
	case n.Memory < need.mem:
		return noMemory
	}
	return fits
}

// tally counts the available nodes that rejected a shape, by reason, and
// the most the rejecting nodes had free.
type tally struct {
	noSlot, cpu, mem int
	cpuMost, memMost int64
	// Nodes the task may not use at all, and the token it requests.
	tokenCarried, tokenMissing, accessDenied int
	failedHere                               int
	token                                    string
	// scripts counts selection-script rejections by reason.
	scripts map[string]int
	// reserved counts the nodes held for a backfill reservation.
	reserved    int
	reservedFor string
}

// reserve counts a node the task fits on but may not use: it is held for
// guard's task.
func (t *tally) reserve(guard *reservation) {
	t.reserved++
	t.reservedFor = guard.msg
}

// script counts a node a selection script rejected.
func (t *tally) script(reason string) {
	if t.scripts == nil {
		t.scripts = map[string]int{}
	}
	t.scripts[reason]++
}

// ineligible counts a node the task may not use.
func (t *tally) ineligible(e ineligibility, token string) {
	switch e {
	case tokenCarried:
		t.tokenCarried++
	case tokenMissing:
		t.tokenMissing++
		t.token = token
	case accessDenied:
		t.accessDenied++
	case failedHere:
		t.failedHere++
	}
}

// add counts node n's verdict v.
func (t *tally) add(v verdict, n *room) {
	switch v {
	case noSlot:
		t.noSlot++
	case noCPU:
		t.cpu++
		t.cpuMost = max(t.cpuMost, n.MilliCPU)
	case noMemory:
		t.mem++
		t.memMost = max(t.memMost, n.Memory)
	}
}

// render turns a tally into reasons for a task of shape need, together
// with the nodes that take no work, most frequent first.
func (t tally) render(need shape, unavailable []Reason) []Reason {
	out := slices.Clone(unavailable)
	if t.tokenCarried > 0 {
		out = append(out, Reason{Count: t.tokenCarried, Message: msgTokenCarried})
	}
	if t.tokenMissing > 0 {
		out = append(out, Reason{Count: t.tokenMissing, Message: msgTokenMissing(t.token)})
	}
	if t.accessDenied > 0 {
		out = append(out, Reason{Count: t.accessDenied, Message: msgAccessDenied})
	}
	if t.failedHere > 0 {
		msg := msgFailedHere
		if t.failedHere == t.eligibleCount() {
			msg = MsgFailedEverywhere
		}
		out = append(out, Reason{Count: t.failedHere, Message: msg})
	}
	for msg, n := range t.scripts {
		out = append(out, Reason{Count: n, Message: msg})
	}
	if t.reserved > 0 {
		out = append(out, Reason{Count: t.reserved, Message: t.reservedFor})
	}
	if t.noSlot > 0 {
		out = append(out, Reason{Count: t.noSlot, Message: msgNoSlot})
	}
	if t.cpu > 0 {
		out = append(out, Reason{Count: t.cpu, Message: fmt.Sprintf("not enough cpu (needs %s cpu, most free %s)",
			formatCPU(need.cpu), formatCPU(max(0, t.cpuMost)))})
	}
	if t.mem > 0 {
		out = append(out, Reason{Count: t.mem, Message: fmt.Sprintf("not enough memory (needs %s, most free %s)",
			api.ByteSize(need.mem), api.ByteSize(max(0, t.memMost)))})
	}
	return countReasons(out)
}

// countReasons merges reasons with the same message and sorts them by
// count, most frequent first, then by message.
func countReasons(rs []Reason) []Reason {
	slices.SortFunc(rs, func(a, b Reason) int { return cmp.Compare(a.Message, b.Message) })
	out := rs[:0]
	for _, r := range rs {
		if len(out) > 0 && out[len(out)-1].Message == r.Message {
			out[len(out)-1].Count += r.Count
			continue
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Reason) int { return cmp.Compare(b.Count, a.Count) })
	return out
}

// unavailableReasons counts the nodes that take no work, by their reason.
func unavailableReasons(nodes []Node) []Reason {
	var out []Reason
	for _, n := range nodes {
		if n.Unavailable != "" {
			out = append(out, Reason{Count: 1, Message: n.Unavailable})
		}
	}
	return countReasons(out)
}

// formatCPU writes thousandths of a core as cores: 1500 is "1.5".
func formatCPU(milli int64) string {
	return strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64)
}

// eligibleCount is how many counted nodes the task may use but for
// retry_elsewhere: its tokens, access rights and selection scripts allow
// them (those it failed on included).
func (t *tally) eligibleCount() int { return t.noSlot + t.cpu + t.mem + t.failedHere + t.reserved }
