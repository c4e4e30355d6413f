package policies

import (
	"testing"
	"time"
)

func TestParseTimeOfDay(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for an error
	}{
		{"08:00", "08:00"}, {"8:00", "08:00"}, {" 18:30 ", "18:30"}, {"00:00", "00:00"},
		{"23:59:59", "23:59:59"}, {"12:00:00", "12:00"},
		{"24:00", ""}, {"12:60", ""}, {"12", ""}, {"12:5", ""}, {"+8:00", ""}, {"-1:00", ""},
		{"08:00:00:00", ""}, {"noon", ""}, {"", ""},
	}
	for _, tt := range tests {
		got, err := ParseTimeOfDay(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("ParseTimeOfDay(%q) = %s, want an error", tt.in, got)
		case tt.want != "" && (err != nil || got.String() != tt.want):
			t.Errorf("ParseTimeOfDay(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

// win builds a window from time-slot parameters.
func win(t *testing.T, p Params) window {
	t.Helper()
	v := parseParams(timeSlotKind.params, p)
	w, _ := readWindow(v)
	if errs := v.errors(); errs != nil {
		t.Fatal(errs)
	}
	return w
}

func TestWindowState(t *testing.T) {
	tests := []struct {
		name     string
		p        Params
		now      time.Time
		wantOpen bool
		wantEdge time.Time
	}{
		{"overlapping openings merge", Params{"start": "08:00", "duration": "30h", "days": "mon,tue"},
			at("Tue 12:00"), true, at("Wed 14:00")},
		{"touching openings merge", Params{"start": "08:00", "duration": "24h", "days": "mon-wed"},
			at("Mon 09:00"), true, at("Thu 08:00")},
		{"gap after merged openings", Params{"start": "08:00", "duration": "24h", "days": "mon-wed"},
			at("Thu 09:00"), false, at("Mon 08:00").AddDate(0, 0, 7)},
		{"a 6-day window from last sunday", Params{"start": "00:00", "duration": "6d", "days": "sun"},
			at("Mon 00:00"), true, at("Sat 00:00")},
		{"a 7-day window from sunday to sunday never closes", Params{"start": "00:00", "duration": "7d", "days": "sun"},
			at("Mon 00:00"), true, at("Sun 00:00").AddDate(0, 0, 7)},
		{"always open: the edge is only a time to look again", Params{"start": "00:00", "duration": "48h"},
			at("Wed 12:00"), true, at("Wed 00:00").AddDate(0, 0, 10)},
		{"7 is Sunday", Params{"start": "10:00", "end": "11:00", "days": "7"},
			at("Sun 10:30"), true, at("Sun 11:00")},
		{"end before start closes the next day", Params{"start": "23:00", "end": "01:00", "days": "sun"},
			at("Sun 23:30"), true, at("Mon 01:00").AddDate(0, 0, 7)},
		{"an end at midnight", Params{"start": "20:00", "end": "00:00", "days": "mon"},
			at("Mon 23:59"), true, at("Tue 00:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open, edge := win(t, tt.p).state(tt.now)
			if open != tt.wantOpen || !edge.Equal(tt.wantEdge) {
				t.Errorf("state(%s) = %v, %s; want %v, %s", tt.now, open, edge, tt.wantOpen, tt.wantEdge)
			}
		})
	}
}
