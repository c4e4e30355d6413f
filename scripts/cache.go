package scripts

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
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

	key Key
}

// Key identifies a selection: the first 128 bits of the SHA-256 of its
// script's digest, arguments and variables.
type Key [16]byte

func (k Key) String() string { return hex.EncodeToString(k[:]) }

// NewSelection binds a script to its arguments and variables and computes
// the cache key once.
func NewSelection(s *Script, vars map[string]string, args []string) Selection {
	sel := Selection{Script: s, Args: args, Vars: vars}
	sel.key = sel.computeKey()
	return sel
}

// Key is the digest of the script, the arguments and the variables.
func (s Selection) Key() Key {
	if s.key != (Key{}) {
		return s.key
	}
	return s.computeKey()
}

func (s Selection) computeKey() Key {
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
	var k Key
	copy(k[:], h.Sum(nil))
	return k
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
// Each node keeps at most maxPerNode entries. Safe for concurrent use: nodes are spread over
// cacheShards locks, so that parallel lookups for different nodes do not
// contend.
type VerdictCache struct {
	seed       maphash.Seed
	maxPerNode int
	shards     [cacheShards]cacheShard
}

const cacheShards = 64

type cacheShard struct {
	mu    sync.RWMutex
	nodes map[string]*nodeVerdicts
	_     [48]byte // keep shards on separate cache lines
}

// nodeVerdicts are one node's cached verdicts, and their keys in the
// order they were cached (for eviction).
type nodeVerdicts struct {
	byKey map[Key]cachedVerdict
	order []Key
}

type cachedVerdict struct {
	gen uint64
	v   Verdict
}

// DefaultMaxPerNode is the per-node bound NewVerdictCache uses for 0.
const DefaultMaxPerNode = 1024

// NewVerdictCache returns an empty cache keeping at most maxPerNode
// verdicts per node (DefaultMaxPerNode if maxPerNode <= 0); past that,
// the node's oldest verdict makes room.
func NewVerdictCache(maxPerNode int) *VerdictCache {
	if maxPerNode <= 0 {
		maxPerNode = DefaultMaxPerNode
	}
	c := &VerdictCache{seed: maphash.MakeSeed(), maxPerNode: maxPerNode}
	for i := range c.shards {
		c.shards[i].nodes = make(map[string]*nodeVerdicts)
	}
	return c
}

func (c *VerdictCache) shard(node string) *cacheShard {
	return &c.shards[maphash.String(c.seed, node)%cacheShards]
}

// Get returns the verdict of selection key on node at facts generation
// gen, if cached.
func (c *VerdictCache) Get(key Key, node string, gen uint64) (Verdict, bool) {
	sh := c.shard(node)
	sh.mu.RLock()
	var e cachedVerdict
	nv, ok := sh.nodes[node]
	if ok {
		e, ok = nv.byKey[key]
	}
	sh.mu.RUnlock()
	if !ok || e.gen != gen {
		return Verdict{}, false
	}
	return e.v, true
}

// Put records a verdict. A verdict for an older generation than the one
// cached is ignored.
func (c *VerdictCache) Put(key Key, node string, gen uint64, v Verdict) {
	sh := c.shard(node)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	nv := sh.nodes[node]
	if nv == nil {
		nv = &nodeVerdicts{byKey: make(map[Key]cachedVerdict, 1)}
		sh.nodes[node] = nv
	}
	if old, ok := nv.byKey[key]; ok {
		if old.gen <= gen {
			nv.byKey[key] = cachedVerdict{gen: gen, v: v}
		}
		return
	}
	if len(nv.order) >= c.maxPerNode {
		delete(nv.byKey, nv.order[0])
		nv.order = nv.order[1:]
	}
	nv.order = append(nv.order, key)
	nv.byKey[key] = cachedVerdict{gen: gen, v: v}
}

// InvalidateNode drops every verdict about node (its facts changed, or it
// left).
func (c *VerdictCache) InvalidateNode(node string) {
	sh := c.shard(node)
	sh.mu.Lock()
	delete(sh.nodes, node)
	sh.mu.Unlock()
}

// Len is the number of cached verdicts.
func (c *VerdictCache) Len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		for _, nv := range sh.nodes {
			n += len(nv.byKey)
		}
		sh.mu.RUnlock()
	}
	return n
}

// Select returns the verdict of sel on node at facts generation gen: from
// the cache when there is one, otherwise evaluated and cached. A nil
// cache evaluates every time. Cancelled evaluations are not cached.
func (e *Engine) Select(ctx context.Context, c *VerdictCache, sel Selection, node NodeView, gen uint64) Verdict {
	return e.selectOne(ctx, c, sel, sel.Key(), &node, gen)
}

func (e *Engine) selectOne(ctx context.Context, c *VerdictCache, sel Selection, key Key, node *NodeView, gen uint64) Verdict {
	if c != nil {
		if v, ok := c.Get(key, node.Name, gen); ok {
			return v
		}
	}
	v := e.evaluate(ctx, sel.Script, node, sel.Vars, sel.Args, nil)
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

// SelectNodes is Select for many nodes. Cached verdicts are looked up on
// the calling goroutine; the misses are evaluated on up to GOMAXPROCS
// goroutines. Verdicts are in the order of nodes.
func (e *Engine) SelectNodes(ctx context.Context, c *VerdictCache, sel Selection, nodes []Candidate) []Verdict {
	out := make([]Verdict, len(nodes))
	key := sel.Key()
	var misses []int
	for i := range nodes {
		if c != nil {
			if v, ok := c.Get(key, nodes[i].Node.Name, nodes[i].Generation); ok {
				out[i] = v
				continue
			}
		}
		misses = append(misses, i)
	}
	workers := min(runtime.GOMAXPROCS(0), (len(misses)+selectChunk-1)/selectChunk)
	var next atomic.Int64
	work := func() {
		for {
			start := int(next.Add(selectChunk)) - selectChunk
			if start >= len(misses) {
				return
			}
			for _, i := range misses[start:min(start+selectChunk, len(misses))] {
				n := &nodes[i]
				v := e.evaluate(ctx, sel.Script, &n.Node, sel.Vars, sel.Args, nil)
				if c != nil && v.Reason != ReasonCancelled {
					c.Put(key, n.Node.Name, n.Generation, v)
				}
				out[i] = v
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
