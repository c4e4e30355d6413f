package jobspec

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExamples parses every job document shipped in examples/.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.*")) // job documents; examples/sources holds node sources
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files in ../examples")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			spec, errs := Parse(data)
			if len(errs) > 0 {
				t.Fatalf("Parse(%s):\n%s", f, listErrors(errs))
			}
			assertRoundTrip(t, spec)
		})
	}
}
