package main

import (
	"strings"
	"testing"
)

// TestJobShowArray: an array submitted from a file is one row of job show,
// its instances counted by state; --tasks lists each instance with its
// name.
func TestJobShowArray(t *testing.T) {
	c := newCLI(t)
	file := writeFile(t, "array.yaml", `name: squares
tasks:
  - name: sq
    script: echo $((SHRIKE_REPLICA * SHRIKE_REPLICA))
    replicate: {from: 1, to: 500}
  - name: sum
    script: "true"
    depends_on: [sq]
`)
	c.mustRun("job", "submit", file)
	specs := c.fake.Submitted()
	if len(specs) != 1 || specs[0].Tasks[0].Replicate == nil || specs[0].Tasks[0].Replicate.Count != 500 {
		t.Fatalf("submitted %+v; want sq replicated 500 times", specs)
	}
	out := c.mustRun("job", "show", "1")
	for _, want := range []string{"sq[0..499]", "500 PENDING", "sum", "0/501 over"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sq[7]") || strings.Count(out, "\n") > 20 {
		t.Errorf("show lists instances one by one:\n%s", out)
	}
	all := c.mustRun("job", "show", "--tasks", "1")
	for _, want := range []string{"sq[0] ", "sq[499] ", "sum"} {
		if !strings.Contains(all, want) {
			t.Errorf("show --tasks lacks %q", want)
		}
	}
	if n := strings.Count(all, "\n"); n < 501 {
		t.Errorf("show --tasks printed %d lines, want a line per task", n)
	}
}
