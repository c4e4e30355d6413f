package scripts

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Lua pattern matching for the sandbox: string.find, match, gmatch and
// gsub, and sel.hostname_matches.
//
// gopher-lua's own matcher cannot be interrupted: a pattern such as
// ".-.-.-.-x" backtracks for hours on a long subject inside one Go call,
// where no budget is checked, and its gsub copies the whole result once
// per match. This is a port of Lua 5.1's lstrlib.c matcher whose every
// step is charged to the evaluation's instruction budget (so a runaway
// pattern ends as "instruction budget exceeded" or "time budget
// exceeded"), with Lua 5.2's nesting limit ("pattern too complex") and a
// gsub that builds its result once.

const (
	patEsc         = '%'
	patSpecials    = "^$*+?.([%-"
	maxCaptures    = 32
	maxMatchDepth  = 200
	capUnfinished  = -1
	capPosition    = -2
	stepsPerCharge = 256
)

type capture struct {
	init, len int
}

// matcher is one match attempt of pat against src. Positions are byte
// offsets; -1 means no match.
type matcher struct {
	L        *lua.LState
	b        *budget
	src, pat string
	level    int
	depth    int
	pending  int64 // steps not yet charged to b
	capture  [maxCaptures]capture
}

func newMatcher(L *lua.LState, b *budget, src, pat string) *matcher {
	return &matcher{L: L, b: b, src: src, pat: pat}
}

func (m *matcher) fail(msg string) {
	m.L.RaiseError("%s", msg)
}

// tick counts one step, charging the budget in batches.
func (m *matcher) tick() {
	m.pending++
	if m.pending >= stepsPerCharge {
		m.flush()
	}
}

func (m *matcher) flush() {
	n := m.pending
	m.pending = 0
	m.b.step(m.L, n)
}

func (m *matcher) match(s, p int) int {
	m.depth++
	if m.depth > maxMatchDepth {
		m.fail("pattern too complex")
	}
	r := m.doMatch(s, p)
	m.depth--
	return r
}

func (m *matcher) doMatch(s, p int) int {
	for {
		m.tick()
		if p == len(m.pat) {
			return s
		}
		switch m.pat[p] {
		case '(':
			if p+1 < len(m.pat) && m.pat[p+1] == ')' {
				return m.startCapture(s, p+2, capPosition)
			}
			return m.startCapture(s, p+1, capUnfinished)
		case ')':
			return m.endCapture(s, p+1)
		case '$':
			if p+1 == len(m.pat) {
				if s == len(m.src) {
					return s
				}
				return -1
			}
		case patEsc:
			if p+1 < len(m.pat) {
				switch c := m.pat[p+1]; {
				case c == 'b':
					if s = m.matchBalance(s, p+2); s < 0 {
						return -1
					}
					p += 4
					continue
				case c == 'f':
					p += 2
					if p >= len(m.pat) || m.pat[p] != '[' {
						m.fail("missing '[' after '%f' in pattern")
					}
					ep := m.classEnd(p)
					var prev, cur byte
					if s > 0 {
						prev = m.src[s-1]
					}
					if s < len(m.src) {
						cur = m.src[s]
					}
					if matchBracketClass(prev, m.pat, p, ep-1) || !matchBracketClass(cur, m.pat, p, ep-1) {
						return -1
					}
					p = ep
					continue
				case isDigit(c):
					if s = m.matchCapture(s, c); s < 0 {
						return -1
					}
					p += 2
					continue
				}
			}
		}
		ep := m.classEnd(p)
		ok := s < len(m.src) && m.singleMatch(m.src[s], p, ep)
		if ep < len(m.pat) {
			switch m.pat[ep] {
			case '?':
				if ok {
					if r := m.match(s+1, ep+1); r >= 0 {
						return r
					}
				}
				p = ep + 1
				continue
			case '*':
				return m.maxExpand(s, p, ep)
			case '+':
				if !ok {
					return -1
				}
				return m.maxExpand(s+1, p, ep)
			case '-':
				return m.minExpand(s, p, ep)
			}
		}
		if !ok {
			return -1
		}
		s++
		p = ep
	}
}

// classEnd returns the index just past the single-character class at p.
func (m *matcher) classEnd(p int) int {
	c := m.pat[p]
	p++
	switch c {
	case patEsc:
		if p >= len(m.pat) {
			m.fail("malformed pattern (ends with '%')")
		}
		return p + 1
	case '[':
		if p < len(m.pat) && m.pat[p] == '^' {
			p++
		}
		for { // the first character may be ']'
			if p >= len(m.pat) {
				m.fail("malformed pattern (missing ']')")
			}
			c := m.pat[p]
			p++
			if c == patEsc && p < len(m.pat) {
				p++
			}
			if p >= len(m.pat) {
				m.fail("malformed pattern (missing ']')")
			}
			if m.pat[p] == ']' {
				return p + 1
			}
		}
	}
	return p
}

func (m *matcher) singleMatch(c byte, p, ep int) bool {
	switch m.pat[p] {
	case '.':
		return true
	case patEsc:
		return matchClass(c, m.pat[p+1])
	case '[':
		return matchBracketClass(c, m.pat, p, ep-1)
	default:
		return m.pat[p] == c
	}
}

func (m *matcher) matchBalance(s, p int) int {
	if p+1 >= len(m.pat) {
		m.fail("unbalanced pattern")
	}
	if s >= len(m.src) || m.src[s] != m.pat[p] {
		return -1
	}
	open, closing := m.pat[p], m.pat[p+1]
	depth := 1
	for s++; s < len(m.src); s++ {
		m.tick()
		switch m.src[s] {
		case closing:
			if depth--; depth == 0 {
				return s + 1
			}
		case open:
			depth++
		}
	}
	return -1
}

func (m *matcher) maxExpand(s, p, ep int) int {
	i := 0
	for s+i < len(m.src) && m.singleMatch(m.src[s+i], p, ep) {
		m.tick()
		i++
	}
	for ; i >= 0; i-- {
		if r := m.match(s+i, ep+1); r >= 0 {
			return r
		}
	}
	return -1
}

func (m *matcher) minExpand(s, p, ep int) int {
	for {
		if r := m.match(s, ep+1); r >= 0 {
			return r
		}
		if s < len(m.src) && m.singleMatch(m.src[s], p, ep) {
			s++
		} else {
			return -1
		}
	}
}

func (m *matcher) startCapture(s, p, what int) int {
	if m.level >= maxCaptures {
		m.fail("too many captures")
	}
	m.capture[m.level] = capture{init: s, len: what}
	m.level++
	r := m.match(s, p)
	if r < 0 {
		m.level--
	}
	return r
}

func (m *matcher) endCapture(s, p int) int {
	l := -1
	for i := m.level - 1; i >= 0; i-- {
		if m.capture[i].len == capUnfinished {
			l = i
			break
		}
	}
	if l < 0 {
		m.fail("invalid pattern capture")
	}
	m.capture[l].len = s - m.capture[l].init
	r := m.match(s, p)
	if r < 0 {
		m.capture[l].len = capUnfinished
	}
	return r
}

func (m *matcher) matchCapture(s int, c byte) int {
	l := int(c) - '1'
	if l < 0 || l >= m.level || m.capture[l].len == capUnfinished {
		m.fail("invalid capture index")
	}
	n := m.capture[l].len
	if n < 0 { // a position capture matches nothing
		return -1
	}
	init := m.capture[l].init
	if len(m.src)-s >= n && m.src[init:init+n] == m.src[s:s+n] {
		return s + n
	}
	return -1
}

// captureValue is capture i of the match src[s:e]: the whole match when
// the pattern has no captures and i is 0.
func (m *matcher) captureValue(i, s, e int) lua.LValue {
	if i >= m.level {
		if i != 0 {
			m.fail("invalid capture index")
		}
		return lua.LString(m.src[s:e])
	}
	c := m.capture[i]
	switch c.len {
	case capUnfinished:
		m.fail("unfinished capture")
	case capPosition:
		return lua.LNumber(c.init + 1)
	}
	return lua.LString(m.src[c.init : c.init+c.len])
}

// pushCaptures pushes the captures of the match src[s:e] (the whole match
// if there are none and whole is set) and returns how many it pushed.
func (m *matcher) pushCaptures(s, e int, whole bool) int {
	n := m.level
	if n == 0 && whole {
		n = 1
	}
	for i := 0; i < n; i++ {
		m.L.Push(m.captureValue(i, s, e))
	}
	return n
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// matchClass reports whether c is in the class %cl (C locale).
func matchClass(c, cl byte) bool {
	var res bool
	lower := cl | 0x20
	switch lower {
	case 'a':
		res = isAlpha(c)
	case 'c':
		res = c < 32 || c == 127
	case 'd':
		res = isDigit(c)
	case 'l':
		res = 'a' <= c && c <= 'z'
	case 'p':
		res = isPunct(c)
	case 's':
		res = c == ' ' || ('\t' <= c && c <= '\r')
	case 'u':
		res = 'A' <= c && c <= 'Z'
	case 'w':
		res = isAlpha(c) || isDigit(c)
	case 'x':
		res = isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f')
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if 'A' <= cl && cl <= 'Z' {
		return !res
	}
	return res
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isPunct(c byte) bool {
	return c > 32 && c < 127 && !isAlpha(c) && !isDigit(c)
}

// matchBracketClass reports whether c is in the set pat[p:ec+1], where
// pat[p] is '[' and pat[ec] is ']'.
func matchBracketClass(c byte, pat string, p, ec int) bool {
	sig := true
	if pat[p+1] == '^' {
		sig = false
		p++
	}
	for p++; p < ec; p++ {
		switch {
		case pat[p] == patEsc:
			p++
			if matchClass(c, pat[p]) {
				return sig
			}
		case pat[p+1] == '-' && p+2 < ec:
			p += 2
			if pat[p-2] <= c && c <= pat[p] {
				return sig
			}
		case pat[p] == c:
			return sig
		}
	}
	return !sig
}

// luaFind is string.find (find set) and string.match.
func (sb *sandbox) luaFind(L *lua.LState, find bool) int {
	src := L.CheckString(1)
	pat := L.CheckString(2)
	init := stringStart(L.OptInt(3, 1), len(src))
	if find && (L.ToBool(4) || !strings.ContainsAny(pat, patSpecials)) {
		if i := strings.Index(src[init:], pat); i >= 0 {
			L.Push(lua.LNumber(init + i + 1))
			L.Push(lua.LNumber(init + i + len(pat)))
			return 2
		}
		L.Push(lua.LNil)
		return 1
	}
	m := newMatcher(L, sb.budget, src, pat)
	p, anchor := 0, strings.HasPrefix(pat, "^")
	if anchor {
		p = 1
	}
	for s := init; ; s++ {
		m.level = 0
		if e := m.match(s, p); e >= 0 {
			m.flush()
			if find {
				L.Push(lua.LNumber(s + 1))
				L.Push(lua.LNumber(e))
				return m.pushCaptures(0, 0, false) + 2
			}
			return m.pushCaptures(s, e, true)
		}
		if s >= len(src) || anchor {
			break
		}
	}
	m.flush()
	L.Push(lua.LNil)
	return 1
}

// stringStart converts a Lua start position (1-based, negative from the
// end) to a byte offset within [0, n].
func stringStart(pos, n int) int {
	if pos < 0 {
		pos += n + 1
	}
	switch {
	case pos < 1:
		return 0
	case pos > n:
		return n
	}
	return pos - 1
}

// luaGmatch is string.gmatch: an iterator over the matches.
func (sb *sandbox) luaGmatch(L *lua.LState) int {
	src := L.CheckString(1)
	pat := L.CheckString(2)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		m := newMatcher(L, sb.budget, src, pat)
		for s := pos; s <= len(src); s++ {
			m.level = 0
			if e := m.match(s, 0); e >= 0 {
				m.flush()
				pos = e
				if e == s {
					pos++ // empty match: move on
				}
				return m.pushCaptures(s, e, true)
			}
		}
		m.flush()
		pos = len(src) + 1
		return 0
	}))
	return 1
}

// luaGsub is string.gsub.
func (sb *sandbox) luaGsub(L *lua.LState) int {
	src := L.CheckString(1)
	pat := L.CheckString(2)
	repl := L.Get(3)
	switch repl.Type() {
	case lua.LTNumber, lua.LTString, lua.LTFunction, lua.LTTable:
	default:
		L.ArgError(3, "string/function/table expected")
	}
	maxN := L.OptInt(4, len(src)+1)
	m := newMatcher(L, sb.budget, src, pat)
	p, anchor := 0, strings.HasPrefix(pat, "^")
	if anchor {
		p = 1
	}
	var out strings.Builder
	s, n := 0, 0
	for n < maxN {
		m.level = 0
		e := m.match(s, p)
		if e >= 0 {
			n++
			sb.gsubValue(L, m, &out, s, e, repl)
		}
		switch {
		case e > s:
			s = e
		case s < len(src):
			out.WriteByte(src[s])
			s++
		default:
			s = len(src) + 1 // done
		}
		if out.Len() > sb.budget.maxString {
			sb.budget.charge(L, out.Len())
		}
		if s > len(src) || anchor {
			break
		}
	}
	if s < len(src) {
		out.WriteString(src[s:])
	}
	m.flush()
	sb.budget.charge(L, out.Len())
	L.Push(lua.LString(out.String()))
	L.Push(lua.LNumber(n))
	return 2
}

// gsubValue appends the replacement for the match src[s:e].
func (sb *sandbox) gsubValue(L *lua.LState, m *matcher, out *strings.Builder, s, e int, repl lua.LValue) {
	var v lua.LValue
	switch r := repl.(type) {
	case lua.LString, lua.LNumber:
		news := lua.LVAsString(r)
		for i := 0; i < len(news); i++ {
			c := news[i]
			if c != patEsc {
				out.WriteByte(c)
				continue
			}
			i++
			switch {
			case i == len(news):
				L.RaiseError("%s", "invalid use of '%' in replacement string")
			case news[i] == '0':
				out.WriteString(m.src[s:e])
			case isDigit(news[i]):
				out.WriteString(lua.LVAsString(m.captureValue(int(news[i]-'1'), s, e)))
			default:
				out.WriteByte(news[i])
			}
			if out.Len() > sb.budget.maxString {
				sb.budget.charge(L, out.Len())
			}
		}
		return
	case *lua.LFunction:
		L.Push(r)
		L.Call(m.pushCaptures(s, e, true), 1)
		v = L.Get(-1)
		L.Pop(1)
	case *lua.LTable:
		v = L.GetTable(r, m.captureValue(0, s, e))
	}
	switch {
	case !lua.LVAsBool(v):
		out.WriteString(m.src[s:e]) // keep the original
	case lua.LVCanConvToString(v):
		out.WriteString(lua.LVAsString(v))
	default:
		L.RaiseError("invalid replacement value (a %s)", v.Type().String())
	}
}

// patternFind reports whether pat matches anywhere in src (anchored with
// a leading '^'), for Go helpers such as sel.hostname_matches.
func (sb *sandbox) patternFind(L *lua.LState, src, pat string) bool {
	m := newMatcher(L, sb.budget, src, pat)
	p, anchor := 0, strings.HasPrefix(pat, "^")
	if anchor {
		p = 1
	}
	for s := 0; ; s++ {
		m.level = 0
		if m.match(s, p) >= 0 {
			m.flush()
			return true
		}
		if s >= len(src) || anchor {
			m.flush()
			return false
		}
	}
}
