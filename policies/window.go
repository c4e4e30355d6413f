package policies

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TimeOfDay is a wall-clock time, in seconds after midnight.
type TimeOfDay int

// ParseTimeOfDay reads "8:00", "08:00" or "18:30:15".
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	limits := []int{23, 59, 59}
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("invalid time of day %q: want HH:MM", s)
	}
	secs := 0
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || strings.Trim(p, "0123456789") != "" || n > limits[i] || len(p) > 2 || (i > 0 && len(p) != 2) {
			return 0, fmt.Errorf("invalid time of day %q: want HH:MM", s)
		}
		secs = secs*60 + n
	}
	if len(parts) == 2 {
		secs *= 60
	}
	return TimeOfDay(secs), nil
}

func (t TimeOfDay) String() string {
	h, m, s := int(t)/3600, int(t)/60%60, int(t)%60
	if s != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}

// on is t on the date of day, in day's location.
func (t TimeOfDay) on(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, int(t)/3600, int(t)/60%60, int(t)%60, 0, day.Location())
}

// window opens at start on each of its days and stays open until end (the
// same day, or the next one when end is not after start) or for length.
// Openings that overlap or touch merge into one.
type window struct {
	start  TimeOfDay
	end    TimeOfDay
	hasEnd bool
	length time.Duration  // when !hasEnd
	days   uint64         // bit i: opens on weekday i (0 = Sunday)
	loc    *time.Location // nil: the location of the time asked about
}

type span struct{ open, close time.Time }

// state reports whether the window is open at now, and its next edge:
// when it closes if open, else when it opens next.
func (w window) state(now time.Time) (open bool, edge time.Time) {
	if w.loc != nil {
		now = now.In(w.loc)
	}
	for _, s := range w.spans(now) {
		switch {
		case now.Before(s.open):
			return false, s.open
		case now.Before(s.close):
			return true, s.close
		}
	}
	return false, time.Time{} // no days: never opens
}

// spans lists the merged openings around now: from 8 days before (a
// window lasts at most 7 days) to 8 days after. A span still open at the
// end of that range ends there, which only makes the caller look again.
func (w window) spans(now time.Time) []span {
	var out []span
	y, m, d := now.Date()
	for i := -8; i <= 8; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, now.Location())
		if !has(w.days, int(day.Weekday())) {
			continue
		}
		s := w.opening(day)
		if n := len(out); n > 0 && !s.open.After(out[n-1].close) {
			out[n-1].close = later(out[n-1].close, s.close)
			continue
		}
		out = append(out, s)
	}
	return out
}

// opening is the window's span opening on day.
func (w window) opening(day time.Time) span {
	open := w.start.on(day)
	if !w.hasEnd {
		return span{open, open.Add(w.length)}
	}
	if w.end <= w.start {
		day = day.AddDate(0, 0, 1)
	}
	return span{open, w.end.on(day)}
}

// format writes a window edge for reasons: "Mon 2 Mar 18:00".
func (w window) format(t time.Time) string {
	if w.loc != nil {
		t = t.In(w.loc)
	}
	return t.Format("Mon 2 Jan 15:04")
}

// later and earliest pick between two times; earliest ignores zero times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// Window parameters, shared by time-slot and workstation.
var (
	startParam = func(required bool, help string) Param {
		return Param{Name: "start", Type: TypeTimeOfDay, Required: required, Help: help}
	}
	endParam = Param{Name: "end", Type: TypeTimeOfDay,
		Help: "when the window closes; an end not after start closes it the next day"}
	durationParam = Param{Name: "duration", Type: TypeDuration,
		Help: "how long the window stays open (at most 7d); instead of end"}
	daysParam = Param{Name: "days", Type: TypeList, Default: "mon-sun",
		Help: "the weekdays the window opens on: names or ranges, like mon-fri,sun"}
	timezoneParam = Param{Name: "timezone", Type: TypeString,
		Help: "IANA time zone of the times, like Europe/Paris; default: the server's"}
)

// readWindow builds the window from start, end, duration, days and
// timezone. ok is false when no start was given (and none is required).
func readWindow(v *values) (w window, ok bool) {
	w.start = v.timeOfDay("start")
	w.end, w.hasEnd = v.timeOfDay("end"), v.has("end")
	w.length = v.duration("duration")
	w.days = readDays(v)
	w.loc = readLocation(v)
	switch {
	case !v.has("start"):
		v.check(!w.hasEnd && !v.has("duration"), "start", "required with end or duration")
		return window{}, false
	case w.hasEnd && v.has("duration"):
		v.check(false, "duration", "give end or duration, not both")
	case w.hasEnd:
		v.check(w.end != w.start, "end", "must differ from start (for a whole day use duration 24h)")
	case v.has("duration"):
		v.check(w.length > 0 && w.length <= 7*24*time.Hour, "duration", "must be more than 0 and at most 7d")
	default:
		v.check(false, "end", "give end or duration")
	}
	return w, true
}

// readDays reads the days list with the cron day-of-week syntax.
func readDays(v *values) uint64 {
	var days uint64
	for _, item := range v.list("days") {
		bits, err := dowField.parsePart(item)
		if err != nil {
			v.check(false, "days", "%q is not a day or a range of days like mon-fri", item)
			continue
		}
		days |= bits
	}
	if days&(1<<7) != 0 {
		days = days&^(1<<7) | 1
	}
	v.check(days != 0, "days", "name at least one day")
	return days
}

// readLocation loads the timezone parameter (this reads the system's
// time-zone database, once, when the policy is built).
func readLocation(v *values) *time.Location {
	name := v.str("timezone")
	if name == "" {
		return nil
	}
	loc, err := time.LoadLocation(name)
	v.check(err == nil, "timezone", "unknown time zone %q: want an IANA name like Europe/Paris or UTC", name)
	return loc
}
