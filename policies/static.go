package policies

var staticKind = Kind{
	Name:    KindStatic,
	Summary: "deploy every node at once and keep them",
	params:  []Param{nodesParam},
	build:   func(v *values) Policy { return static{size: readSize(v)} },
}

// static deploys the source's nodes once and never releases them. Nodes
// that go DOWN stay (restart-down redeploys them); nodes removed from the
// source are replaced.
type static struct{ size size }

var _ Policy = static{}

func (static) Kind() string { return KindStatic }

func (p static) Decide(s Snapshot, st State) (Decision, State) {
	var d Decision
	d.Acquire, d.AcquireReason = p.size.fill(s, "static")
	return d, st
}
