package jobspec

import (
	"testing"
)

func TestJobSpaces(t *testing.T) {
	for _, tc := range []struct {
		name, lines, in, out string
	}{
		{"default", "", "", ""},
		{"empty strings are the default", "input_space: \"\"\noutput_space: ~\n", "", ""},
		{"folders", "input_space: global:ref/genome/\noutput_space: user:runs/2024\n", "global:ref/genome", "user:runs/2024"},
		{"whole spaces", "input_space: user:.\noutput_space: \"global:\"\n", "user:", "global:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "name: j\n" + tc.lines + "tasks: [{name: t, script: x}]\n"
			spec, errs := Parse([]byte(doc))
			if errs != nil {
				t.Fatal(listErrors(errs))
			}
			if spec.InputSpace != tc.in || spec.OutputSpace != tc.out {
				t.Errorf("input_space, output_space = %q, %q; want %q, %q", spec.InputSpace, spec.OutputSpace, tc.in, tc.out)
			}
			assertRoundTrip(t, spec)
		})
	}
	spec, errs := Parse([]byte(`{"name": "j", "input_space": "user:in", "output_space": "global:out/x",
		"tasks": [{"name": "t", "script": "x"}]}`))
	if errs != nil {
		t.Fatal(listErrors(errs))
	}
	if spec.InputSpace != "user:in" || spec.OutputSpace != "global:out/x" {
		t.Errorf("from JSON: %q, %q", spec.InputSpace, spec.OutputSpace)
	}
	assertRoundTrip(t, spec)
}
