package jobspec

import (
	"reflect"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestReplicateForms(t *testing.T) {
	tests := []struct {
		name string
		line string
		want api.Replicate
	}{
		{"count", "replicate: 10", api.Replicate{Count: 10, Step: 1}},
		{"one", "replicate: 1", api.Replicate{Count: 1, Step: 1}},
		{"values as written", "replicate: [a, 2, 3.50, true, 'x y']", api.Replicate{Count: 5, Values: []string{"a", "2", "3.50", "true", "x y"}}},
		{"range to inclusive", "replicate: {from: 1, to: 100}", api.Replicate{Count: 100, From: 1, Step: 1}},
		{"range with step", "replicate: {from: 0, to: 10, step: 3}", api.Replicate{Count: 4, Step: 3}},
		{"range down", "replicate: {from: 10, to: 1, step: -2}", api.Replicate{Count: 5, From: 10, Step: -2}},
		{"range of one", "replicate: {from: 5, to: 5}", api.Replicate{Count: 1, From: 5, Step: 1}},
		{"canonical count form", "replicate: {count: 4, from: 7, step: 2}", api.Replicate{Count: 4, From: 7, Step: 2}},
		{"canonical values form", "replicate: {count: 2, values: [a, b]}", api.Replicate{Count: 2, Values: []string{"a", "b"}}},
		{"at the maximum", "replicate: 1000000", api.Replicate{Count: api.MaxReplicas, Step: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, errs := Parse([]byte(scriptTask(tt.line)))
			if len(errs) > 0 {
				t.Fatalf("Parse: %v", errs)
			}
			if got := spec.Tasks[0].Replicate; got == nil || !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("replicate = %+v, want %+v", got, tt.want)
			}
			assertRoundTrip(t, spec)
		})
	}
}

func TestReplicateValues(t *testing.T) {
	for _, c := range []struct {
		r    api.Replicate
		want []string
	}{
		{api.Replicate{Count: 3, Step: 1}, []string{"0", "1", "2"}},
		{api.Replicate{Count: 3, From: 10, Step: -5}, []string{"10", "5", "0"}},
		{api.Replicate{Count: 2, Values: []string{"a", "b"}}, []string{"a", "b"}},
	} {
		var got []string
		for i := range c.r.Count {
			got = append(got, c.r.Value(i))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: values %v, want %v", c.r, got, c.want)
		}
	}
	if got := api.InstanceName("render", 12); got != "render[12]" {
		t.Errorf("InstanceName = %q, want render[12]", got)
	}
}

func TestReplicateErrors(t *testing.T) {
	const f = "tasks[0].replicate"
	tests := []struct {
		name string
		doc  string
		want []want
	}{
		{"zero", scriptTask("replicate: 0"), []want{{f, "must be at least 1 instance, got 0 (line 5)"}}},
		{"negative", scriptTask("replicate: -3"), []want{{f, "must be at least 1 instance, got -3"}}},
		{"too many", scriptTask("replicate: 1000001"), []want{{f, "too many instances (1000001, at most 1000000)"}}},
		{"a string", scriptTask("replicate: ten"), []want{{f, "must be an integer"}}},
		{"a float", scriptTask("replicate: 2.5"), []want{{f, "must be an integer"}}},
		{"a boolean", scriptTask("replicate: true"), []want{{f, "must be an integer"}}},
		{"empty list", scriptTask("replicate: []"), []want{{f, "must list at least one value"}}},
		{"null value", scriptTask("replicate: [a, ~]"), []want{{f + "[1]", "must be a string or a number, got null"}}},
		{"nested value", scriptTask("replicate: [a, [b]]"), []want{{f + "[1]", "must be a string, got a list"}}},
		{"step 0", scriptTask("replicate: {from: 1, to: 5, step: 0}"), []want{{f + ".step", "must not be 0"}}},
		{"never reaches", scriptTask("replicate: {from: 5, to: 1}"), []want{{f + ".step", "1 never reaches 1 from 5"}}},
		{"no end", scriptTask("replicate: {from: 5}"), []want{{f, "needs to (the last value) or count"}}},
		{"to and count", scriptTask("replicate: {from: 1, to: 5, count: 5}"), []want{{f + ".count", "cannot be used with to"}}},
		{"range too long", scriptTask("replicate: {from: 0, to: 2000000}"), []want{{f, "too many instances (2000001, at most 1000000)"}}},
		{"non-integer bound", scriptTask("replicate: {from: a, to: 3}"), []want{{f + ".from", "must be an integer"}}},
		{"unknown key", scriptTask("replicate: {form: 1, to: 3}"), []want{{f + ".form", `unknown field "form"`}}},
		{"values and from", scriptTask("replicate: {values: [a], from: 1}"), []want{{f + ".from", "cannot be used with values"}}},
		{"values and a wrong count", scriptTask("replicate: {values: [a, b], count: 3}"), []want{{f + ".count", "is 3 but values lists 2"}}},
		{"job too large", "name: j\ntasks:\n- {name: a, script: x, replicate: 600000}\n- {name: b, script: x, replicate: 600000}\n",
			[]want{{"tasks", "too many task instances (1200000 with the arrays' replicas, at most 1000000)"}}},
		{"instance names are not task names", "name: j\ntasks:\n- {name: a, script: x, replicate: 2}\n- {name: b, script: x, depends_on: ['a[0]']}\n",
			[]want{{"tasks[1].depends_on[0]", `unknown task "a[0]"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertErrors(t, tt.doc, tt.want)
		})
	}
}
