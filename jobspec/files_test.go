package jobspec

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestFileTransfers(t *testing.T) {
	spec, errs := Parse([]byte(`name: j
tasks:
  - name: a
    script: x
    input_files:
      - {include: ["data/**/*.csv"], exclude: "data/tmp/*"}
      - {from: global, include: ref/genome.fa, optional: true}
    output_files:
      - include: ["results/*"]
      - {to: user, include: [report.pdf]}
`))
	if errs != nil {
		t.Fatal(errs)
	}
	got := spec.Tasks[0]
	wantIn := []api.FileTransfer{
		{From: "input", Include: []string{"data/**/*.csv"}, Exclude: []string{"data/tmp/*"}},
		{From: "global", Include: []string{"ref/genome.fa"}, Optional: true},
	}
	wantOut := []api.FileTransfer{{To: "output", Include: []string{"results/*"}}, {To: "user", Include: []string{"report.pdf"}}}
	if !reflect.DeepEqual(got.InputFiles, wantIn) || !reflect.DeepEqual(got.OutputFiles, wantOut) {
		t.Fatalf("inputs %+v\noutputs %+v", got.InputFiles, got.OutputFiles)
	}
}

func TestFileTransferErrors(t *testing.T) {
	_, errs := Parse([]byte(`name: j
tasks:
  - name: a
    script: x
    input_files:
      - {from: scratch, include: "../etc/passwd"}
      - {include: ["/abs", "a\\b", "ok/*"], optional: maybe, colour: red}
    output_files:
      - {to: input}
`))
	want := map[string]string{
		"tasks[0].input_files[0].from":       `unknown space "scratch"`,
		"tasks[0].input_files[0].include":    `".." is not allowed`,
		"tasks[0].input_files[1].include[0]": "no leading /",
		"tasks[0].input_files[1].include[1]": "backslashes",
		"tasks[0].input_files[1].optional":   "true or false",
		"tasks[0].input_files[1].colour":     "unknown field",
		"tasks[0].output_files[0].to":        `unknown space "input"`,
	}
	got := map[string]string{}
	for _, e := range errs {
		got[e.Field] = e.Message
	}
	for f, msg := range want {
		if !strings.Contains(got[f], msg) {
			t.Errorf("%s: got %q, want it to mention %q", f, got[f], msg)
		}
	}
}
