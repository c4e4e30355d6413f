package scripts

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Selection is one selection script as a task uses it: the script, its
// arguments and the job's variables. Key identifies the combination: two
// selections with the same key give the same verdict on the same facts.
type Selection struct {
	Script *Script
	Args   []string
	Vars   map[string]string

	key string
}

// NewSelection binds a script to its arguments and variables and computes
// the cache key once.
func NewSelection(s *Script, vars map[string]string, args []string) Selection {
	sel := Selection{Script: s, Args: args, Vars: vars}
	sel.key = sel.computeKey()
	return sel
}

// Key is the digest of the script, the arguments and the variables.
func (s Selection) Key() string {
	if s.key != "" {
		return s.key
	}
	return s.computeKey()
}

func (s Selection) computeKey() string {
	h := sha256.New()
	var n [8]byte
	write := func(str string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(str)))
		h.Write(n[:])
		h.Write([]byte(str))
	}
	if s.Script != nil {
		write(s.Script.Digest)
	}
	write("args")
	for _, a := range s.Args {
		write(a)
	}
	write("vars")
	keys := make([]string, 0, len(s.Vars))
	for k := range s.Vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		write(k)
		write(s.Vars[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func digestOf(src string) string {
	sum := sha256.Sum256([]byte(src))
	return hex.EncodeToString(sum[:])
}

// VerdictCache keeps verdicts by (selection key, node name, facts
// generation). The generation is the caller's counter of the node's
// facts: a verdict is returned only for the generation it was computed
// on, so a change of facts (new generation) is never answered from the
// old ones, even by an evaluation that was already running.
// InvalidateNode drops a node's entries and nobody else's.
//
// Each node keeps at most maxPerNode entries; past that, an arbitrary
// one makes room. Safe for concurrent use.
type VerdictCache struct {
	mu         sync.RWMutex
	nodes      map[string]map[string]cachedVerdict
	maxPerNode int
}

type cachedVerdict struct {
	gen uint64
	v   Verdict
}

// DefaultMaxPerNode is the per-node bound NewVerdictCache uses for 0.
const DefaultMaxPerNode = 1024

// NewVerdictCache returns an empty cache keeping at most maxPerNode
// verdicts per node (DefaultMaxPerNode if maxPerNode <= 0).
func NewVerdictCache(maxPerNode int) *VerdictCache {
	if maxPerNode <= 0 {
		maxPerNode = DefaultMaxPerNode
	}
	return &VerdictCache{nodes: make(map[string]map[string]cachedVerdict), maxPerNode: maxPerNode}
}

// Get returns the verdict of selection key on node at facts generation
// gen, if cached.
func (c *VerdictCache) Get(key, node string, gen uint64) (Verdict, bool) {
	c.mu.RLock()
	e, ok := c.nodes[node][key]
	c.mu.RUnlock()
	if !ok || e.gen != gen {
		return Verdict{}, false
	}
	return e.v, true
}

// Put records a verdict. A verdict for an older generation than the one
// cached is ignored.
func (c *VerdictCache) Put(key, node string, gen uint64, v Verdict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.nodes[node]
	if m == nil {
		m = make(map[string]cachedVerdict)
		c.nodes[node] = m
	}
	if old, ok := m[key]; ok {
		if old.gen > gen {
			return
		}
	} else if len(m) >= c.maxPerNode {
		for k := range m {
			delete(m, k)
			break
		}
	}
	m[key] = cachedVerdict{gen: gen, v: v}
}

// InvalidateNode drops every verdict about node (its facts changed, or it
// left).
func (c *VerdictCache) InvalidateNode(node string) {
	c.mu.Lock()
	delete(c.nodes, node)
	c.mu.Unlock()
}

// Len is the number of cached verdicts.
func (c *VerdictCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, m := range c.nodes {
		n += len(m)
	}
	return n
}

// Select returns the verdict of sel on node at facts generation gen: from
// the cache when there is one, otherwise evaluated and cached. A nil
// cache evaluates every time. Cancelled evaluations are not cached.
func (e *Engine) Select(ctx context.Context, c *VerdictCache, sel Selection, node NodeView, gen uint64) Verdict {
	return e.selectOne(ctx, c, sel, sel.Key(), &node, gen)
}

func (e *Engine) selectOne(ctx context.Context, c *VerdictCache, sel Selection, key string, node *NodeView, gen uint64) Verdict {
	if c != nil {
		if v, ok := c.Get(key, node.Name, gen); ok {
			return v
		}
	}
	v := e.evaluate(ctx, sel.Script, node, sel.Vars, sel.Args)
	if c != nil && v.Reason != ReasonCancelled {
		c.Put(key, node.Name, gen, v)
	}
	return v
}

// Candidate is a node offered to SelectNodes: its facts and their
// generation.
type Candidate struct {
	Node       NodeView
	Generation uint64
}

// selectChunk is how many nodes a worker takes at a time.
const selectChunk = 32

// SelectNodes is Select for many nodes, on up to GOMAXPROCS goroutines.
// Verdicts are in the order of nodes.
func (e *Engine) SelectNodes(ctx context.Context, c *VerdictCache, sel Selection, nodes []Candidate) []Verdict {
	out := make([]Verdict, len(nodes))
	key := sel.Key()
	workers := min(runtime.GOMAXPROCS(0), (len(nodes)+selectChunk-1)/selectChunk)
	var next atomic.Int64
	work := func() {
		for {
			start := int(next.Add(selectChunk)) - selectChunk
			if start >= len(nodes) {
				return
			}
			for i := start; i < min(start+selectChunk, len(nodes)); i++ {
				out[i] = e.selectOne(ctx, c, sel, key, &nodes[i].Node, nodes[i].Generation)
			}
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	return out
}
