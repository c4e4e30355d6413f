package policies

import (
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Paris even where the system has no zoneinfo
)

// utc reads "2026-03-02 09:00" in UTC.
func utc(s string) time.Time { return in(time.UTC, s) }

func in(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseCronErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", `cron expression "" has 0 fields: want 5 (minute hour day-of-month month day-of-week)`},
		{"0 8 * *", `cron expression "0 8 * *" has 4 fields: want 5 (minute hour day-of-month month day-of-week)`},
		{"0 8 * * * *", `cron expression "0 8 * * * *" has 6 fields: want 5 (minute hour day-of-month month day-of-week)`},
		{"60 * * * *", `minute "60": 60 is out of range 0-59`},
		{"* 24 * * *", `hour "24": 24 is out of range 0-23`},
		{"* * 0 * *", `day of month "0": 0 is out of range 1-31`},
		{"* * * 13 *", `month "13": 13 is out of range 1-12`},
		{"* * * * 8", `day of week "8": 8 is out of range 0-7`},
		{"* * * foo *", `month "foo": "foo" is not a number or a name`},
		{"* 18-8 * * *", `hour "18-8": range 18-8 starts after it ends`},
		{"*/0 * * * *", `minute "*/0": step "0" is not a positive number`},
		{"1,,2 * * * *", `minute "1,,2": "" is not a number or a name`},
		{"61 25 * * *", "minute \"61\": 61 is out of range 0-59\nhour \"25\": 25 is out of range 0-23"},
		{"0 0 30 feb *", `cron expression "0 0 30 feb *" never fires: no month in it has that day`},
		{"0 0 31 apr,jun *", `cron expression "0 0 31 apr,jun *" never fires: no month in it has that day`},
		{"0 0 L * *", `day of month "L": "L" is not a number or a name`},
		{"@reboot", `unknown cron macro "@reboot": want @yearly, @monthly, @weekly, @daily or @hourly`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := ParseCron(tt.expr)
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParseCron(%q) = %v\nwant %s", tt.expr, err, tt.want)
			}
		})
	}
}

func TestCronNext(t *testing.T) {
	tests := []struct {
		expr, after, want string
	}{
		{"* * * * *", "2026-03-02 09:00", "2026-03-02 09:01"},
		{"0 8 * * *", "2026-03-02 07:59", "2026-03-02 08:00"},
		{"0 8 * * *", "2026-03-02 08:00", "2026-03-03 08:00"}, // strictly after
		{"*/15 * * * *", "2026-03-02 09:16", "2026-03-02 09:30"},
		{"5/20 * * * *", "2026-03-02 09:26", "2026-03-02 09:45"},
		{"0 8-18/4 * * *", "2026-03-02 12:01", "2026-03-02 16:00"},
		{"0 8-18/4 * * *", "2026-03-02 16:01", "2026-03-03 08:00"},
		{"0 9,17 * * *", "2026-03-02 09:00", "2026-03-02 17:00"},
		{"0 8 * * mon-fri", "2026-03-06 09:00", "2026-03-09 08:00"}, // Friday → Monday
		{"0 8 * * sat,sun", "2026-03-02 09:00", "2026-03-07 08:00"},
		{"0 8 * * 7", "2026-03-02 09:00", "2026-03-08 08:00"}, // 7 is Sunday
		{"0 8 * * SUN", "2026-03-02 09:00", "2026-03-08 08:00"},
		{"0 8 * * fri-sun", "2026-03-02 09:00", "2026-03-06 08:00"},
		{"0 0 31 * *", "2026-04-01 00:00", "2026-05-31 00:00"},   // April has no 31st
		{"0 0 29 feb *", "2026-03-02 09:00", "2028-02-29 00:00"}, // leap year
		{"0 0 29 2 *", "2096-03-01 00:00", "2104-02-29 00:00"},   // 2100 is not a leap year
		{"0 12 1 jan,jul *", "2026-03-02 09:00", "2026-07-01 12:00"},
		{"59 23 31 12 *", "2026-03-02 09:00", "2026-12-31 23:59"},
		{"0 0 1 1 *", "2026-12-31 23:59", "2027-01-01 00:00"}, // year end
		// Both day fields restricted: either matches (13th, or any Friday).
		{"0 0 13 * fri", "2026-03-02 09:00", "2026-03-06 00:00"},
		{"0 0 13 * fri", "2026-03-12 00:00", "2026-03-13 00:00"},
		// A `*` day of month: both must match (odd days that are Mondays).
		{"0 0 */2 * mon", "2026-03-02 09:00", "2026-03-09 00:00"},
		{"0 0 * * mon", "2026-03-02 09:00", "2026-03-09 00:00"},
		{"@daily", "2026-03-02 09:00", "2026-03-03 00:00"},
		{"@hourly", "2026-03-02 09:00", "2026-03-02 10:00"},
		{"@weekly", "2026-03-02 09:00", "2026-03-08 00:00"},
		{"@monthly", "2026-03-02 09:00", "2026-04-01 00:00"},
		{"@yearly", "2026-03-02 09:00", "2027-01-01 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.expr+" after "+tt.after, func(t *testing.T) {
			got := MustParseCron(tt.expr).Next(utc(tt.after))
			if want := utc(tt.want); !got.Equal(want) {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestCronNextSecondsAndLocation(t *testing.T) {
	c := MustParseCron("30 9 * * *")
	got := c.Next(utc("2026-03-02 09:29").Add(59*time.Second + 5))
	if want := utc("2026-03-02 09:30"); !got.Equal(want) {
		t.Errorf("from 09:29:59: got %s, want %s", got, want)
	}
	got = c.Next(utc("2026-03-02 09:30").Add(time.Nanosecond))
	if want := utc("2026-03-03 09:30"); !got.Equal(want) {
		t.Errorf("from just after 09:30: got %s, want %s", got, want)
	}
	if loc := c.Next(time.Date(2026, 3, 2, 0, 0, 0, 0, paris(t))).Location().String(); loc != "Europe/Paris" {
		t.Errorf("Next answers in %s, want the location asked in", loc)
	}
}

// In Paris, 2026: clocks go from 02:00 to 03:00 on Sunday 29 March and
// from 03:00 back to 02:00 on Sunday 25 October.
func TestCronNextAcrossDaylightSaving(t *testing.T) {
	loc := paris(t)
	cest := func(s string) time.Time { return utc(s).Add(-2 * time.Hour) }
	cet := func(s string) time.Time { return utc(s).Add(-time.Hour) }
	tests := []struct {
		name  string
		expr  string
		after time.Time
		want  time.Time
	}{
		{"wall-clock time keeps its hour", "0 9 * * *", in(loc, "2026-03-28 10:00"), cest("2026-03-29 09:00")},
		{"a skipped time does not fire that day", "30 2 * * *", in(loc, "2026-03-28 12:00"), cest("2026-03-30 02:30")},
		{"hourly skips the missing hour", "0 * * * *", in(loc, "2026-03-29 01:00"), cest("2026-03-29 03:00")},
		{"a repeated time fires once in summer time", "30 2 * * *", in(loc, "2026-10-25 00:00"), cest("2026-10-25 02:30")},
		{"and again in winter time", "30 2 * * *", cest("2026-10-25 02:30"), cet("2026-10-25 02:30")},
		{"then the next day", "30 2 * * *", cet("2026-10-25 02:30"), cet("2026-10-26 02:30")},
		{"hourly through the repeated hour", "0 * * * *", cest("2026-10-25 02:00"), cet("2026-10-25 02:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MustParseCron(tt.expr).Next(tt.after.In(loc))
			if !got.Equal(tt.want) {
				t.Errorf("got %s, want %s", got, tt.want.In(loc))
			}
		})
	}
}

func TestCronPrev(t *testing.T) {
	tests := []struct {
		expr, at, want string
	}{
		{"0 8 * * *", "2026-03-02 08:00", "2026-03-02 08:00"}, // at counts
		{"0 8 * * *", "2026-03-02 07:59", "2026-03-01 08:00"},
		{"0 8 * * mon-fri", "2026-03-02 07:00", "2026-02-27 08:00"},
		{"*/10 * * * *", "2026-03-02 09:09", "2026-03-02 09:00"},
		{"0 0 29 feb *", "2026-03-02 09:00", "2024-02-29 00:00"},
		{"0 0 1 1 *", "2027-01-01 00:00", "2027-01-01 00:00"},
		{"0 0 1 1 *", "2026-12-31 23:59", "2026-01-01 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.expr+" at "+tt.at, func(t *testing.T) {
			got := MustParseCron(tt.expr).Prev(utc(tt.at))
			if want := utc(tt.want); !got.Equal(want) {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

// TestCronAgainstMinuteScan checks Next and Prev against the definition —
// the first (last) absolute minute whose wall clock matches — at random
// times around both daylight-saving changes in Paris and in UTC.
func TestCronAgainstMinuteScan(t *testing.T) {
	exprs := []string{"* * * * *", "30 2 * * *", "0 * * * *", "*/7 1-3 * * *", "0 0 * * sun", "15 3 24-31 * *", "0 2 * * 0"}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, loc := range []*time.Location{time.UTC, paris(t)} {
		for _, base := range []time.Time{utc("2026-03-28 12:00"), utc("2026-10-24 12:00")} {
			for range 25 {
				after := base.Add(time.Duration(rng.IntN(3*24*60)) * time.Minute).Add(time.Duration(rng.IntN(60)) * time.Second).In(loc)
				for _, expr := range exprs {
					c := MustParseCron(expr)
					if got, want := c.Next(after), scanNext(c, after); !got.Equal(want) {
						t.Errorf("%s: Next(%s) = %s, scan says %s", expr, after, got, want)
					}
					if got, want := c.Prev(after), scanPrev(c, after); !got.Equal(want) {
						t.Errorf("%s: Prev(%s) = %s, scan says %s", expr, after, got, want)
					}
				}
			}
		}
	}
}

func scanNext(c Cron, after time.Time) time.Time {
	for t := after.Truncate(time.Minute).Add(time.Minute); ; t = t.Add(time.Minute) {
		if c.Matches(t) {
			return t
		}
	}
}

func scanPrev(c Cron, when time.Time) time.Time {
	for t := when.Truncate(time.Minute); ; t = t.Add(-time.Minute) {
		if c.Matches(t) {
			return t
		}
	}
}

func TestCronString(t *testing.T) {
	if got := MustParseCron(" 0 8 * * mon-fri ").String(); got != "0 8 * * mon-fri" {
		t.Errorf("String() = %q", got)
	}
	if got := MustParseCron("@daily").String(); got != "@daily" {
		t.Errorf("a macro's String() = %q, want its name", got)
	}
}
