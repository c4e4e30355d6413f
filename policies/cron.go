package policies

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed five-field cron expression: minute, hour, day of month,
// month, day of week. Each field takes `*`, numbers, names (jan..dec,
// sun..sat; 7 is Sunday too), ranges (`mon-fri`, `mon-sun`), steps
// (`*/15`, `8-18/2`, `5/10` = 5 to the end every 10) and comma lists. The
// macros @yearly, @annually, @monthly, @weekly, @daily, @midnight and
// @hourly stand for their usual expressions.
//
// Days follow the usual rule: when both the day-of-month and the
// day-of-week field are restricted (neither starts with `*`), a day matches
// if either does; otherwise both must.
//
// Times are wall-clock times in the location of the time given to Next or
// Prev. Across daylight-saving changes (as in robfig/cron): a time skipped
// by a spring-forward never matches that day, and a time that happens twice
// at a fall-back matches twice.
type Cron struct {
	expr                          string
	minute, hour, dom, month, dow uint64 // bit i set: value i matches
	domStar, dowStar              bool
}

// cronHorizon bounds searches. ParseCron rejects schedules that never
// fire; the rarest ones left are 29 February (8 years apart around 2100)
// and a date that must fall on a weekday ("0 0 */30 2 mon": a `*` day of
// month makes both fields count, so 1 February on a Monday, up to 11 years
// apart).
const cronHorizon = 15 * 366 * 24 * time.Hour

type cronField struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	minuteField = cronField{"minute", 0, 59, nil}
	hourField   = cronField{"hour", 0, 23, nil}
	domField    = cronField{"day of month", 1, 31, nil}
	monthField  = cronField{"month", 1, 12, map[string]int{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	}}
	dowField = cronField{"day of week", 0, 7, map[string]int{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
		"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3,
		"thursday": 4, "friday": 5, "saturday": 6,
	}}
)

var cronMacros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// ParseCron parses a cron expression, reporting every field's problem.
func ParseCron(expr string) (Cron, error) {
	spec := strings.TrimSpace(expr)
	if strings.HasPrefix(spec, "@") {
		m, ok := cronMacros[strings.ToLower(spec)]
		if !ok {
			return Cron{}, fmt.Errorf("unknown cron macro %q: want @yearly, @monthly, @weekly, @daily or @hourly", spec)
		}
		spec = m
	}
	f := strings.Fields(spec)
	if len(f) != 5 {
		return Cron{}, fmt.Errorf("cron expression %q has %d fields: want 5 (minute hour day-of-month month day-of-week)", expr, len(f))
	}
	c := Cron{expr: strings.TrimSpace(expr), domStar: f[2][0] == '*', dowStar: f[4][0] == '*'}
	var errs []error
	for _, x := range []struct {
		bits  *uint64
		field cronField
		s     string
	}{{&c.minute, minuteField, f[0]}, {&c.hour, hourField, f[1]}, {&c.dom, domField, f[2]}, {&c.month, monthField, f[3]}, {&c.dow, dowField, f[4]}} {
		bits, err := x.field.parse(x.s)
		errs = append(errs, err)
		*x.bits = bits
	}
	if err := errors.Join(errs...); err != nil {
		return Cron{}, err
	}
	if c.dow&(1<<7) != 0 { // 7 is Sunday
		c.dow = c.dow&^(1<<7) | 1
	}
	if !c.canFire() {
		return Cron{}, fmt.Errorf("cron expression %q never fires: no month in it has that day", expr)
	}
	return c, nil
}

// MustParseCron is ParseCron for expressions known to be valid; it panics
// on an error.
func MustParseCron(expr string) Cron {
	c, err := ParseCron(expr)
	if err != nil {
		panic(err)
	}
	return c
}

// String returns the expression as written.
func (c Cron) String() string { return c.expr }

// parse reads one field: a comma list of parts.
func (f cronField) parse(s string) (uint64, error) {
	var bits uint64
	for part := range strings.SplitSeq(s, ",") {
		b, err := f.parsePart(part)
		if err != nil {
			return 0, fmt.Errorf("%s %q: %w", f.name, s, err)
		}
		bits |= b
	}
	return bits, nil
}

// parsePart reads `*`, `n`, `a-b`, each optionally followed by `/step`.
func (f cronField) parsePart(p string) (uint64, error) {
	rng, stepText, hasStep := strings.Cut(p, "/")
	lo, hi, every := f.min, f.max, 1
	var err error
	switch a, b, isRange := strings.Cut(rng, "-"); {
	case rng == "*":
	case isRange:
		if lo, err = f.value(a); err != nil {
			return 0, err
		}
		if hi, err = f.value(b); err != nil {
			return 0, err
		}
		if f.max == 7 && hi == 0 { // mon-sun: Sunday ends a week
			hi = 7
		}
		if lo > hi {
			return 0, fmt.Errorf("range %s starts after it ends", rng)
		}
	default:
		if lo, err = f.value(rng); err != nil {
			return 0, err
		}
		if !hasStep {
			hi = lo
		}
	}
	if hasStep {
		if every, err = strconv.Atoi(stepText); err != nil || every < 1 {
			return 0, fmt.Errorf("step %q is not a positive number", stepText)
		}
	}
	var bits uint64
	for v := lo; v <= hi; v += every {
		bits |= 1 << v
	}
	return bits, nil
}

func (f cronField) value(s string) (int, error) {
	if n, ok := f.names[strings.ToLower(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number or a name", s)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", n, f.min, f.max)
	}
	return n, nil
}

// canFire reports whether some day matches: with a restricted day of week
// there is always one; otherwise some month must have one of the days.
func (c Cron) canFire() bool {
	if !c.dowStar && !c.domStar {
		return true
	}
	longest := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for m := 1; m <= 12; m++ {
		if c.month&(1<<m) != 0 && c.dom&(1<<(longest[m]+1)-1) != 0 {
			return true
		}
	}
	return false
}

// Matches reports whether t's wall-clock minute matches.
func (c Cron) Matches(t time.Time) bool {
	return has(c.month, int(t.Month())) && c.dayMatches(t) && has(c.hour, t.Hour()) && has(c.minute, t.Minute())
}

func (c Cron) dayMatches(t time.Time) bool {
	dom, dow := has(c.dom, t.Day()), has(c.dow, int(t.Weekday()))
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}

func has(bits uint64, v int) bool { return bits&(1<<v) != 0 }

// Next returns the first matching minute strictly after `after`, in
// after's location; the zero Time if there is none within 15 years (or
// for the zero Cron).
func (c Cron) Next(after time.Time) time.Time {
	t := after.Add(time.Minute).Truncate(time.Minute)
	end := t.Add(cronHorizon)
	for t.Before(end) {
		y, m, d := t.Date()
		switch {
		case !has(c.month, int(m)):
			t = forward(t, time.Date(y, m+1, 1, 0, 0, 0, 0, t.Location()))
		case !c.dayMatches(t):
			t = forward(t, time.Date(y, m, d+1, 0, 0, 0, 0, t.Location()))
		case !has(c.hour, t.Hour()):
			t = t.Add(time.Duration(60-t.Minute()) * time.Minute)
		case !has(c.minute, t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

// forward is next if it is after t, else the next minute: time.Date may
// normalise a midnight that a daylight-saving change skips to an earlier
// instant, and stepping by minutes never misses a match.
func forward(t, next time.Time) time.Time {
	if next.After(t) {
		return next
	}
	return t.Add(time.Minute)
}

// Prev returns the last matching minute at or before `when`, in its
// location; the zero Time if there is none within 15 years. It searches
// back in doubling spans with Next, so both agree on every daylight-saving
// case.
func (c Cron) Prev(when time.Time) time.Time {
	for back := time.Hour; back < 2*cronHorizon; back *= 2 {
		var last time.Time
		for t := c.Next(when.Add(-back)); !t.IsZero() && !t.After(when); t = c.Next(t) {
			last = t
		}
		if !last.IsZero() {
			return last
		}
	}
	return time.Time{}
}
