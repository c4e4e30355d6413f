package infra

import (
	"maps"
	"testing"
)

func TestSlurmParseSbatchOutput(t *testing.T) {
	for out, want := range map[string][2]string{
		"123\n":          {"123", ""},
		"456;cluster2\n": {"456", "cluster2"},
	} {
		id, cluster, err := parseSbatchOutput(out)
		if err != nil || id != want[0] || cluster != want[1] {
			t.Errorf("parseSbatchOutput(%q) = %q, %q, %v", out, id, cluster, err)
		}
	}
	for _, out := range []string{"", "Submitted batch job 12\n", "0\n", "-3"} {
		if _, _, err := parseSbatchOutput(out); err == nil {
			t.Errorf("parseSbatchOutput(%q) accepted it", out)
		}
	}
}

func TestSlurmParseJobStates(t *testing.T) {
	squeue := "12 RUNNING\n13 COMPLETING\n\n14 CANCELLED\n"
	if got, want := parseJobStates(squeue, " "), map[string]string{"12": "RUNNING", "13": "COMPLETING", "14": "CANCELLED"}; !maps.Equal(got, want) {
		t.Errorf("squeue: %q, want %q", got, want)
	}
	sacct := "20|TIMEOUT\n21|CANCELLED by 0\n22|OUT_OF_MEMORY\n"
	if got, want := parseJobStates(sacct, "|"), map[string]string{"20": "TIMEOUT", "21": "CANCELLED", "22": "OUT_OF_MEMORY"}; !maps.Equal(got, want) {
		t.Errorf("sacct: %q, want %q", got, want)
	}
}
