package rest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// strictProbe exercises what checkFields must follow of encoding/json:
// embedded structs, tags, "-", types decoding themselves.
type strictProbe struct {
	strictInner
	Count   int8              `json:"count"`
	Ratio   float64           `json:"ratio,omitempty"`
	Hidden  string            `json:"-"`
	Plain   string            // JSON name "Plain"
	Wait    api.Duration      `json:"wait"`
	At      *time.Time        `json:"at"`
	Labels  map[string]string `json:"labels"`
	Items   []strictInner     `json:"items"`
	Anytype any               `json:"any"`
}

type strictInner struct {
	Name string `json:"name"`
}

func TestCheckFields(t *testing.T) {
	tests := map[string]struct {
		body   string
		fields []string
	}{
		"all fine": {`{"name": "x", "count": 3, "ratio": 0.5, "Plain": "p", "plain": "p", "wait": "10m",
			"at": "2025-01-02T03:04:05Z", "labels": {"a": "b"}, "items": [{"name": "i"}], "any": [1, {"x": null}],
			"count": null}`, nil},
		"unknown, nested": {`{"Hidden": "h", "items": [{"name": "i"}, {"nme": "j"}], "zz": 1}`,
			[]string{"Hidden", "items[1].nme", "zz"}},
		"types": {`{"name": 1, "count": 1.5, "ratio": "x", "labels": {"a": 2}, "items": {}}`,
			[]string{"count", "items", "labels.a", "name", "ratio"}},
		"overflow":        {`{"count": 300}`, []string{"count"}},
		"self-decoding":   {`{"wait": "soon", "at": "yesterday"}`, []string{"at", "wait"}},
		"not an object":   {`"just a string"`, []string{"body"}},
		"null everywhere": {`{"name": null, "items": null, "wait": null}`, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var raw any
			if err := json.Unmarshal([]byte(tc.body), &raw); err != nil {
				t.Fatal(err)
			}
			var errs []api.FieldError
			checkFields(raw, reflect.TypeFor[*strictProbe](), "", &errs)
			var got []string
			for _, fe := range errs {
				got = append(got, fe.Field)
				if fe.Message == "" {
					t.Errorf("%s: no message", fe.Field)
				}
			}
			if !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("fields = %v, want %v (%v)", got, tc.fields, errs)
			}
		})
	}
}
