package jobspec

import "slices"

// johnson enumerates elementary cycles (Johnson, 1975) whose lowest vertex
// is a given start, within the start's strongly connected component. Each
// edge it follows costs one unit of budget; it stops when that runs out.
type johnson struct {
	edges   [][]int
	comp    []int
	start   int
	blocked []bool
	bset    [][]int // bset[w]: vertices to unblock when w is unblocked
	touched []int   // vertices whose state must be reset before the next start
	stack   []int
	found   [][]int
	limit   int
	budget  int
}

// search appends to f.found the cycles through s over vertices >= s.
func (f *johnson) search(s, limit int) {
	for _, v := range f.touched {
		f.blocked[v] = false
		f.bset[v] = f.bset[v][:0]
	}
	f.touched = f.touched[:0]
	f.start, f.limit, f.stack = s, limit, f.stack[:0]
	f.circuit(s)
}

func (f *johnson) eligible(w int) bool { return w >= f.start && f.comp[w] == f.comp[f.start] }

func (f *johnson) done() bool { return len(f.found) >= f.limit || f.budget <= 0 }

// circuit is Johnson's CIRCUIT procedure: it reports whether a cycle back
// to the start was found through v.
func (f *johnson) circuit(v int) bool {
	closed := false
	f.stack = append(f.stack, v)
	f.blocked[v] = true
	f.touched = append(f.touched, v)
	for _, w := range f.edges[v] {
		f.budget--
		if !f.eligible(w) {
			continue
		}
		if f.done() {
			break
		}
		if w == f.start {
			f.found = append(f.found, slices.Clone(f.stack))
			closed = true
		} else if !f.blocked[w] && f.circuit(w) {
			closed = true
		}
	}
	if closed {
		f.unblock(v)
	} else {
		for _, w := range f.edges[v] {
			if f.eligible(w) {
				f.bset[w] = append(f.bset[w], v)
				f.touched = append(f.touched, w)
			}
		}
	}
	f.stack = f.stack[:len(f.stack)-1]
	return closed
}

// unblock clears u's blocked mark and, transitively, those waiting on it.
func (f *johnson) unblock(u int) {
	f.blocked[u] = false
	for len(f.bset[u]) > 0 {
		w := f.bset[u][len(f.bset[u])-1]
		f.bset[u] = f.bset[u][:len(f.bset[u])-1]
		if f.blocked[w] {
			f.unblock(w)
		}
	}
}
