package jobspec

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse reads a valid job of 10,000 tasks, each depending on the
// one before, an invalid one whose long names all miss (the "did you mean"
// search is bounded), and one whose tasks use as many different inline
// selection scripts as a job may have.
func BenchmarkParse(b *testing.B) {
	var valid, invalid, selection strings.Builder
	valid.WriteString("name: chain\ntasks:\n- {name: t0, script: x}\n")
	invalid.WriteString("name: misses\ntasks:\n")
	selection.WriteString("name: selection\nselection: [linux, {file: min-memory, args: [8GiB]}]\ntasks:\n")
	long := strings.Repeat("x", 120)
	for i := 1; i < MaxTasks; i++ {
		fmt.Fprintf(&valid, "- {name: t%d, script: x, resources: {cpu: 0.5, memory: 1GiB}, depends_on: [t%d]}\n", i, i-1)
		fmt.Fprintf(&invalid, "- {name: %s%05d, script: x, depends_on: [%s%05dy]}\n", long, i, long, i)
		fmt.Fprintf(&selection, "- {name: t%d, script: x, selection: [gpu, {lua: 'return node.cpus > %d', type: dynamic}]}\n",
			i, i%MaxJobSelectionSources)
	}
	for _, doc := range []struct{ name, text string }{{"valid", valid.String()}, {"unknown-deps", invalid.String()}, {"selection", selection.String()}} {
		b.Run(doc.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc.text)))
			for b.Loop() {
				Parse([]byte(doc.text))
			}
		})
	}
}
