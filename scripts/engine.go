package scripts

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Options are the selection engine's limits. Zero fields take the
// defaults (DefaultOptions).
type Options struct {
	// Timeout is the wall-clock budget of one evaluation (default 100ms,
	// the budget of a static script). The caller's context can only make
	// it shorter, and that counts as a cancellation, not a timeout.
	Timeout time.Duration
	// MaxInstructions bounds the Lua VM instructions of one evaluation,
	// pattern-matching steps included (default 1,000,000, some 30 ms of
	// plain Lua). Unlike Timeout it does not depend on the machine's load.
	MaxInstructions int64
	// MaxCallDepth bounds nested calls: Lua functions, Go helpers and
	// metamethods (default 200).
	MaxCallDepth int
	// MaxStack bounds the Lua value stack in values: locals, arguments,
	// results of unpack and string.byte (default 32768, 512 KiB).
	MaxStack int
	// MaxStringBytes is the longest string a script may build (default
	// 1 MiB).
	MaxStringBytes int
	// MaxAllocBytes bounds the bytes of all the strings one evaluation
	// builds (default 16 MiB).
	MaxAllocBytes int64
	// PoolSize is how many idle Lua states are kept for reuse (default
	// 2 × GOMAXPROCS).
	PoolSize int
}

// DefaultOptions are the limits used for zero Options fields.
func DefaultOptions() Options {
	return Options{
		Timeout:         100 * time.Millisecond,
		MaxInstructions: 1_000_000,
		MaxCallDepth:    200,
		MaxStack:        32 << 10,
		MaxStringBytes:  1 << 20,
		MaxAllocBytes:   16 << 20,
		PoolSize:        2 * runtime.GOMAXPROCS(0),
	}
}

// Validate reports every negative or too small limit.
func (o Options) Validate() error {
	var errs []error
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", o.Timeout))
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"max_instructions", o.MaxInstructions},
		{"max_call_depth", int64(o.MaxCallDepth)},
		{"max_string_bytes", int64(o.MaxStringBytes)},
		{"max_alloc_bytes", o.MaxAllocBytes},
		{"pool_size", int64(o.PoolSize)},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s %d is negative", f.name, f.v))
		}
	}
	if o.MaxStack != 0 && o.MaxStack < 1024 {
		errs = append(errs, fmt.Errorf("max_stack %d is below 1024", o.MaxStack))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Timeout == 0 {
		o.Timeout = d.Timeout
	}
	if o.MaxInstructions == 0 {
		o.MaxInstructions = d.MaxInstructions
	}
	if o.MaxCallDepth == 0 {
		o.MaxCallDepth = d.MaxCallDepth
	}
	if o.MaxStack == 0 {
		o.MaxStack = d.MaxStack
	}
	if o.MaxStringBytes == 0 {
		o.MaxStringBytes = d.MaxStringBytes
	}
	if o.MaxAllocBytes == 0 {
		o.MaxAllocBytes = d.MaxAllocBytes
	}
	if o.PoolSize == 0 {
		o.PoolSize = d.PoolSize
	}
	return o
}

// Engine evaluates selection scripts in sandboxed, pooled Lua states. It
// is safe for concurrent use; each evaluation runs on the caller's
// goroutine and starts none.
type Engine struct {
	opts  Options
	now   func() time.Time
	idle  chan *sandbox
	evals atomic.Uint64
	// created counts the Lua states built, for the tests of the pool.
	created atomic.Uint64

	mu       sync.Mutex
	compiled map[string]*Script // by name + digest
}

// maxCompiled bounds Engine.Compile's memo; it is emptied when full.
const maxCompiled = 1024

// NewEngine returns an engine with the given limits.
func NewEngine(opts Options) (*Engine, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("selection engine: %w", err)
	}
	opts = opts.withDefaults()
	return &Engine{
		opts:     opts,
		now:      time.Now,
		idle:     make(chan *sandbox, opts.PoolSize),
		compiled: make(map[string]*Script),
	}, nil
}

// Options returns the engine's limits, defaults filled in.
func (e *Engine) Options() Options { return e.opts }

// Evaluations is how many evaluations the engine has started (cache hits
// in Select and SelectNodes do not count).
func (e *Engine) Evaluations() uint64 { return e.evals.Load() }

// Compile is the package's Compile, memoised by name and source digest,
// so that the same script used by many tasks is compiled once.
func (e *Engine) Compile(name, src string) (*Script, error) {
	key := name + "\x00" + digestOf(src)
	e.mu.Lock()
	s, ok := e.compiled[key]
	e.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := Compile(name, src)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.compiled) >= maxCompiled {
		clear(e.compiled)
	}
	e.compiled[key] = s
	e.mu.Unlock()
	return s, nil
}

// Evaluate runs s against node with the job's variables and the script's
// arguments. It never fails: whatever goes wrong is a verdict that is not
// selected, with the reason. ctx cancels the evaluation (ReasonCancelled);
// the engine's own budgets apply in any case.
func (e *Engine) Evaluate(ctx context.Context, s *Script, node NodeView, vars map[string]string, args []string) Verdict {
	return e.evaluate(ctx, s, &node, vars, args, nil)
}

// evaluate runs one evaluation; dyn is nil for a static script.
func (e *Engine) evaluate(ctx context.Context, s *Script, node *NodeView, vars map[string]string, args []string, dyn *Dynamic) (v Verdict) {
	e.evals.Add(1)
	switch {
	case s == nil || s.proto == nil:
		return Verdict{Reason: ReasonError, Err: "no compiled script"}
	case ctx.Err() != nil:
		return Verdict{Reason: ReasonCancelled, Err: ctx.Err().Error()}
	}
	sb := e.acquire()
	clean := false
	defer func() {
		if r := recover(); r != nil {
			v = Verdict{Reason: ReasonInternal, Err: truncate(fmt.Sprint(r), maxErrLen)}
			clean = false
		}
		e.release(sb, clean)
	}()
	v, clean = sb.run(ctx, s, node, vars, args, dyn)
	return v
}

func (e *Engine) acquire() *sandbox {
	select {
	case sb := <-e.idle:
		return sb
	default:
		e.created.Add(1)
		return newSandbox(e.opts, e.now)
	}
}

// release keeps a state that ended cleanly for the next evaluation; one
// that hit a limit or panicked is dropped.
func (e *Engine) release(sb *sandbox, clean bool) {
	if clean {
		select {
		case e.idle <- sb:
			return
		default:
		}
	}
	sb.L.Close()
}

// run evaluates s once, as a dynamic script if dyn is not nil. The bool
// reports whether the state is fit for reuse.
func (sb *sandbox) run(ctx context.Context, s *Script, node *NodeView, vars map[string]string, args []string, dyn *Dynamic) (Verdict, bool) {
	if len(args) > sb.maxArgs {
		return Verdict{Reason: ReasonError, Err: fmt.Sprintf("%d arguments, more than the %d allowed", len(args), sb.maxArgs)}, true
	}
	L := sb.L
	sb.ev = evaluation{node: node, vars: vars, args: args}
	timeout := sb.timeout
	if dyn != nil {
		sb.ev.probes = dyn.Probes
		if dyn.Timeout > 0 && dyn.Timeout < timeout {
			timeout = dyn.Timeout
		}
	}
	sb.budget.start(ctx, timeout)
	defer func() {
		sb.ev = evaluation{}
		sb.budget.stop()
		L.SetTop(0)
	}()

	env := sb.newEnv(dyn != nil)
	fn := L.NewFunctionFromProto(s.proto)
	fn.Env = env
	L.Push(fn)
	for _, h := range sb.hidden {
		L.Push(h)
	}
	for _, a := range args {
		L.Push(lua.LString(a))
	}
	if err := L.PCall(len(sb.hidden)+len(args), lua.MultRet, nil); err != nil {
		v, clean := sb.failure(err)
		if dyn == nil {
			v = withHostHint(v, s.Source)
		}
		return v, clean
	}
	var ret lua.LValue = lua.LNil
	if L.GetTop() > 0 {
		ret = L.Get(1)
	}
	return resultVerdict(ret, env.RawGetString("selected")), true
}

// resultVerdict reads the script's answer: its first return value, or
// the global `selected` when it returned nothing or nil.
func resultVerdict(ret, selected lua.LValue) Verdict {
	from := "returned"
	if ret == lua.LNil {
		if selected == lua.LNil {
			return Verdict{Reason: ReasonNoResult, Err: "the script returned nothing and did not set selected"}
		}
		ret, from = selected, "set selected to"
	}
	if b, ok := ret.(lua.LBool); ok {
		if b {
			return Verdict{Selected: true}
		}
		return Verdict{Reason: ReasonFalse}
	}
	detail := fmt.Sprintf("the script %s a %s", from, ret.Type().String())
	if lua.LVCanConvToString(ret) {
		detail += " (" + truncate(lua.LVAsString(ret), 64) + ")"
	}
	return Verdict{Reason: ReasonBadResult, Err: detail + ", want true or false"}
}

// failure turns a Lua error into a verdict. Only a plain script error
// leaves the state fit for reuse.
func (sb *sandbox) failure(err error) (Verdict, bool) {
	msg := err.Error()
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		if s, ok := apiErr.Object.(lua.LString); ok {
			msg = string(s)
		} else if apiErr.Object != nil {
			msg = fmt.Sprintf("(error object is a %s value)", apiErr.Object.Type().String())
		}
	}
	v := Verdict{Reason: ReasonError, Err: truncate(msg, maxErrLen)}
	switch {
	case sb.budget.reason != "":
		v.Reason = sb.budget.reason
	case apiErr != nil && apiErr.Type == lua.ApiErrorPanic:
		v.Reason = ReasonInternal
	case strings.HasSuffix(msg, "stack overflow") || strings.HasSuffix(msg, "registry overflow"):
		v.Reason = ReasonStack
	default:
		return v, true
	}
	return v, false
}
