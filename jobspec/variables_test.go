package jobspec

import (
	"reflect"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestApplyVariables(t *testing.T) {
	tests := []struct {
		name   string
		before map[string]string
		vars   map[string]string
		after  map[string]string
		fields []string // fields of the expected errors
	}{
		{"adds to none", nil, map[string]string{"A": "1"}, map[string]string{"A": "1"}, nil},
		{"overrides and adds", map[string]string{"A": "1", "B": "2"}, map[string]string{"B": "3", "C": ""},
			map[string]string{"A": "1", "B": "3", "C": ""}, nil},
		{"nothing to do", nil, nil, nil, nil},
		{"bad names change nothing", map[string]string{"A": "1"},
			map[string]string{"A": "2", "9X": "a", "B-C": "b", "SHRIKE_TASK": "c", "D": "x\x00"},
			map[string]string{"A": "1"}, []string{"variables.9X", "variables.B-C", "variables.D", "variables.SHRIKE_TASK"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := api.JobSpec{Name: "j", Variables: tt.before}
			errs := ApplyVariables(&spec, tt.vars)
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
			}
			if !reflect.DeepEqual(fields, tt.fields) {
				t.Errorf("error fields = %v, want %v", fields, tt.fields)
			}
			if !reflect.DeepEqual(spec.Variables, tt.after) {
				t.Errorf("variables = %v, want %v", spec.Variables, tt.after)
			}
		})
	}
}
