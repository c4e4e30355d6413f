package scripts

import (
	"context"
	"errors"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// budget is the context.Context a sandboxed Lua state runs under, and the
// meter of one evaluation.
//
// gopher-lua asks ctx.Done() before every VM instruction, so Done is where
// instructions are counted and, every clockEvery instructions, where the
// wall clock is read: no timer and no goroutine per evaluation. Pattern
// matching steps (patterns.go) are counted as instructions too. Strings
// built by the guarded functions are charged to alloc.
//
// Once a limit trips, the budget stays tripped: Done returns a closed
// channel for every later instruction, so a script cannot swallow the
// error with pcall and carry on. The reason is kept for the verdict.
//
// A budget belongs to one sandbox and is used by one goroutine at a time.
type budget struct {
	parent   context.Context
	done     <-chan struct{}
	now      func() time.Time
	deadline time.Time
	timeout  time.Duration

	steps    int64
	maxSteps int64

	alloc     int64
	maxAlloc  int64
	maxString int

	reason string // a Reason constant once tripped
	detail string // the message raised in Lua
}

// clockEvery is how many instructions pass between two reads of the clock.
const clockEvery = 64

var closedDone = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// start arms the budget for one evaluation under parent, with timeout as
// its time budget.
func (b *budget) start(parent context.Context, timeout time.Duration) {
	b.parent = parent
	b.done = parent.Done()
	b.timeout = timeout
	b.deadline = b.now().Add(timeout)
	b.steps, b.alloc = 0, 0
	b.reason, b.detail = "", ""
}

// stop drops the reference to the caller's context.
func (b *budget) stop() {
	b.parent = context.Background()
	b.done = nil
}

// Deadline implements context.Context.
func (b *budget) Deadline() (time.Time, bool) { return b.deadline, true }

// Value implements context.Context.
func (b *budget) Value(key any) any { return b.parent.Value(key) }

// Done implements context.Context; gopher-lua calls it before every
// instruction.
func (b *budget) Done() <-chan struct{} {
	if b.reason != "" {
		return closedDone
	}
	b.steps++
	if b.steps > b.maxSteps {
		b.trip(ReasonInstructions, fmt.Sprintf("instruction budget of %d exceeded", b.maxSteps))
		return closedDone
	}
	if b.steps%clockEvery == 0 && b.late() {
		return closedDone
	}
	return b.done
}

// Err implements context.Context: the message gopher-lua raises once Done
// is closed.
func (b *budget) Err() error {
	if b.reason == "" {
		err := b.parent.Err()
		if err == nil {
			return nil
		}
		b.trip(ReasonCancelled, "evaluation cancelled: "+err.Error())
	}
	return errors.New(b.detail)
}

func (b *budget) trip(reason, detail string) {
	if b.reason == "" {
		b.reason, b.detail = reason, detail
	}
}

// late trips the time budget if the deadline has passed.
func (b *budget) late() bool {
	if b.now().Before(b.deadline) {
		return false
	}
	b.trip(ReasonTimeout, fmt.Sprintf("time budget of %s exceeded", b.timeout))
	return true
}

// raise raises the tripped budget's error in L.
func (b *budget) raise(L *lua.LState) {
	L.RaiseError("%s", b.detail)
}

// step counts n steps of work done inside a Go function (pattern
// matching), raising in L when the instruction or time budget is spent.
func (b *budget) step(L *lua.LState, n int64) {
	before := b.steps
	b.steps += n
	if b.reason != "" {
		b.raise(L)
	}
	if b.steps > b.maxSteps {
		b.trip(ReasonInstructions, fmt.Sprintf("instruction budget of %d exceeded", b.maxSteps))
		b.raise(L)
	}
	if before/clockEvery != b.steps/clockEvery && b.late() {
		b.raise(L)
	}
}

// charge accounts for a string of n bytes about to be built, raising in L
// when it is longer than maxString or the evaluation's strings would pass
// maxAlloc bytes.
func (b *budget) charge(L *lua.LState, n int) {
	if b.reason != "" {
		b.raise(L)
	}
	if n > b.maxString || n < 0 {
		b.trip(ReasonMemory, fmt.Sprintf("string of %d bytes exceeds the %d-byte limit", n, b.maxString))
		b.raise(L)
	}
	b.chargeBytes(L, int64(n))
}

// chargeBytes accounts for n bytes about to be allocated (a string, or
// the slots a table write skips over), raising in L when the evaluation
// would pass maxAlloc bytes.
func (b *budget) chargeBytes(L *lua.LState, n int64) {
	b.alloc += n
	if b.alloc > b.maxAlloc || n < 0 {
		b.trip(ReasonMemory, fmt.Sprintf("the script allocates more than %d bytes", b.maxAlloc))
		b.raise(L)
	}
}

// probeContext is the context a host probe runs under: it ends at the
// evaluation's deadline or when the caller's context ends.
func (b *budget) probeContext() (context.Context, context.CancelFunc) {
	return context.WithDeadline(b.parent, b.deadline)
}

// probeEnded trips the budget if the evaluation ended while a probe ran
// under ctx (a probeContext, not yet cancelled): the time budget, or the
// caller's cancellation. It reports whether it did.
func (b *budget) probeEnded(ctx context.Context) bool {
	if ctx.Err() == nil {
		return false
	}
	if err := b.parent.Err(); err != nil {
		b.trip(ReasonCancelled, "evaluation cancelled: "+err.Error())
	} else {
		b.trip(ReasonTimeout, fmt.Sprintf("time budget of %s exceeded", b.timeout))
	}
	return true
}
