package node

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/shrike-grid/shrike/scripts"
)

// scriptLRU keeps the most recently used compiled dynamic scripts, by
// label and source digest (the label names the script in its errors).
// It is safe for concurrent use.
type scriptLRU struct {
	mu    sync.Mutex
	max   int
	order *list.List               // of *scripts.Script, most recent first
	byKey map[string]*list.Element // label + "\x00" + digest → its element
}

func newScriptLRU(size int) *scriptLRU {
	return &scriptLRU{max: size, order: list.New(), byKey: make(map[string]*list.Element, size)}
}

// compile returns the compiled script, from the cache if it is there.
// Compile errors are not cached.
func (c *scriptLRU) compile(label, src string) (*scripts.Script, error) {
	sum := sha256.Sum256([]byte(src))
	key := label + "\x00" + hex.EncodeToString(sum[:])
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		s := el.Value.(*scripts.Script)
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()

	s, err := scripts.Compile(label, src)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok { // compiled meanwhile by another request
		c.order.MoveToFront(el)
		return el.Value.(*scripts.Script), nil
	}
	c.byKey[key] = c.order.PushFront(s)
	if c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		old := oldest.Value.(*scripts.Script)
		delete(c.byKey, old.Name+"\x00"+old.Digest)
	}
	return s, nil
}

// len is the number of cached scripts.
func (c *scriptLRU) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
