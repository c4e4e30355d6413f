package jobspec

import "testing"

func TestSuggest(t *testing.T) {
	tests := []struct {
		word string
		want string
	}{
		{"comand", "command"},
		{"memroy", "memory"},
		{"dependson", "depends_on"},
		{"depends", "depends_on"},
		{"Walltime", "walltime"},
		{"cpus", "cpu"},
		{"nmae", "name"},
		{"max_attempt", "max_attempts"},
		{"attempts", "max_attempts"},
		{"retries", ""},
		{"image", ""},
		{"x", ""},
	}
	known := append(append([]string{}, taskFields...), resourceFields...)
	for _, tt := range tests {
		budget := suggestBudget
		if got := suggest(tt.word, known, &budget); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestSuggestBudget(t *testing.T) {
	budget := 40 // enough for comparing "comand" with "comma" (7×6 cells), not more
	if got := suggest("comand", []string{"comma", "command"}, &budget); got != "" {
		t.Errorf("suggest beyond its budget = %q, want none", got)
	}
	if budget > 0 {
		t.Errorf("budget left = %d, want it spent", budget)
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"memroy", "memory", 1}, // a swap counts once
		{"héllo", "hello", 1},   // runes, not bytes
		{"ca", "abc", 3},
	}
	for _, tt := range tests {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
