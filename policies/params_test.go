package policies

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// minimal holds the fewest parameters each kind accepts.
var minimal = map[string]Params{
	KindStatic:      nil,
	KindTimeSlot:    {"start": "08:00", "end": "18:00"},
	KindCron:        {"acquire": "0 8 * * *", "release": "0 18 * * *"},
	KindRestartDown: nil,
	KindElastic:     {"max_nodes": "4"},
	KindWorkstation: nil,
}

func TestKindsDescribeThemselves(t *testing.T) {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
		if k.Summary == "" {
			t.Errorf("%s: no summary", k.Name)
		}
		seen := map[string]bool{}
		for _, p := range k.Describe() {
			where := k.Name + "." + p.Name
			if p.Name == "" || p.Help == "" || typePhrase[p.Type] == "" || seen[p.Name] {
				t.Errorf("%s: needs a unique name, a known type and help: %+v", where, p)
			}
			seen[p.Name] = true
			if p.Required && p.Default != "" {
				t.Errorf("%s: required with a default", where)
			}
			if _, err := parseValue(p.Type, p.Default); p.Default != "" && err != nil {
				t.Errorf("%s: default %q does not parse: %v", where, p.Default, err)
			}
		}
		if _, errs := k.New(minimal[k.Name]); errs != nil {
			t.Errorf("%s with %v: %v", k.Name, minimal[k.Name], errs)
		}
		if pol, _ := k.New(minimal[k.Name]); pol != nil && pol.Kind() != k.Name {
			t.Errorf("%s builds a %s policy", k.Name, pol.Kind())
		}
	}
	if want := "static time-slot cron restart-down elastic workstation"; strings.Join(names, " ") != want {
		t.Errorf("kinds %v, want %s", names, want)
	}
}

func TestDescribeReturnsACopy(t *testing.T) {
	k, _ := Lookup(KindElastic)
	k.Describe()[0].Default = "changed"
	if again, _ := Lookup(KindElastic); again.Describe()[0].Default == "changed" {
		t.Error("Describe shares the registry's slice")
	}
}

func TestDefaultsApplied(t *testing.T) {
	tests := []struct {
		kind string
		p    Params
		want Policy
	}{
		{KindStatic, nil, static{size: 0}},
		{KindStatic, Params{"nodes": " 3 "}, static{size: 3}},
		{KindRestartDown, Params{"nodes": ""}, restartDown{size: 0, max: 5, window: 10 * time.Minute}},
		{KindElastic, Params{"max_nodes": "4"}, elastic{min: 0, max: 4, loadFactor: 1, releaseAfter: 10 * time.Minute}},
		{KindWorkstation, nil, workstation{inputIdle: 5 * time.Minute, maxLoad: 0.5, maxSuspend: 30 * time.Minute}},
		{KindCron, Params{"acquire": "@daily", "release": "0 18 * * *"},
			cronPolicy{acquire: MustParseCron("@daily"), release: MustParseCron("0 18 * * *")}},
		{KindTimeSlot, Params{"start": "08:00", "duration": "10h"},
			timeSlot{window: window{start: 8 * 3600, length: 10 * time.Hour, days: 0x7f}}},
	}
	for _, tt := range tests {
		if got := mustNew(t, tt.kind, tt.p); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("New(%s, %v) = %+v, want %+v", tt.kind, tt.p, got, tt.want)
		}
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		kind string
		p    Params
		want []string
	}{
		{"elastic", KindElastic,
			Params{"min_nodes": "-1", "load_factor": "zero", "release_after": "5 minutes", "mxa_nodes": "3"},
			[]string{
				`params.max_nodes: required`,
				`params.load_factor: "zero" is not a number`,
				`params.release_after: "5 minutes" is not a duration like 30s, 10m, 2h or 1d`,
				`params.min_nodes: must not be negative`,
				`params.mxa_nodes: unknown parameter; did you mean "max_nodes"?`,
			}},
		{"elastic bounds", KindElastic, Params{"min_nodes": "5", "max_nodes": "2", "load_factor": "0"},
			[]string{`params.max_nodes: must be at least min_nodes (5)`, `params.load_factor: must be more than 0`}},
		{"elastic max 0", KindElastic, Params{"max_nodes": "0", "load_factor": "NaN"},
			[]string{`params.load_factor: "NaN" is not a number`, `params.max_nodes: must be at least 1`}},
		{"time-slot", KindTimeSlot,
			Params{"end": "25:00", "days": "mon,funday", "timezone": "Mars/Olympus", "preemptive": "maybe", "nodes": "-2"},
			[]string{
				`params.start: required`,
				`params.end: "25:00" is not a time of day like 08:00 or 18:30`,
				`params.preemptive: "maybe" is not true or false`,
				`params.days: "funday" is not a day or a range of days like mon-fri`,
				`params.timezone: unknown time zone "Mars/Olympus": want an IANA name like Europe/Paris or UTC`,
				`params.nodes: must not be negative`,
			}},
		{"time-slot end and duration", KindTimeSlot, Params{"start": "08:00", "end": "18:00", "duration": "10h"},
			[]string{`params.duration: give end or duration, not both`}},
		{"time-slot neither", KindTimeSlot, Params{"start": "08:00", "days": " , "},
			[]string{`params.days: name at least one day`, `params.end: give end or duration`}},
		{"time-slot end equals start", KindTimeSlot, Params{"start": "08:00", "end": "8:00"},
			[]string{`params.end: must differ from start (for a whole day use duration 24h)`}},
		{"time-slot too long", KindTimeSlot, Params{"start": "08:00", "duration": "8d"},
			[]string{`params.duration: must be more than 0 and at most 7d`}},
		{"cron", KindCron, Params{"acquire": "0 8 * *", "release": "61 * * * *", "timezone": "Europe/Pariss"},
			[]string{
				`params.acquire: cron expression "0 8 * *" has 4 fields: want 5 (minute hour day-of-month month day-of-week)`,
				`params.release: minute "61": 61 is out of range 0-59`,
				`params.timezone: unknown time zone "Europe/Pariss": want an IANA name like Europe/Paris or UTC`,
			}},
		{"restart-down", KindRestartDown, Params{"max_redeploys": "0", "redeploy_window": "0s", "node": "3"},
			[]string{
				`params.max_redeploys: must be at least 1`,
				`params.redeploy_window: must be more than 0`,
				`params.node: unknown parameter; did you mean "nodes"?`,
			}},
		{"workstation", KindWorkstation, Params{"end": "08:00", "max_load": "-1", "input_idle": "-5m"},
			[]string{
				`params.input_idle: "-5m" is not a duration like 30s, 10m, 2h or 1d`,
				`params.max_load: must not be negative`,
				`params.start: required with end or duration`,
			}},
		{"unknown names, none close", KindStatic, Params{"colour": "blue", "zzz": ""},
			[]string{`params.colour: unknown parameter (known: nodes)`, `params.zzz: unknown parameter (known: nodes)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol, errs := New(tt.kind, tt.p)
			if pol != nil {
				t.Errorf("got a policy despite errors")
			}
			if got := fieldErrors(errs); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func fieldErrors(errs []api.FieldError) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.String()
	}
	return out
}

func TestNewUnknownKind(t *testing.T) {
	tests := []struct{ kind, want string }{
		{"elastik", `kind: unknown policy "elastik"; did you mean "elastic"?`},
		{"timeslot", `kind: unknown policy "timeslot"; did you mean "time-slot"?`},
		{"magic", `kind: unknown policy "magic" (known: static, time-slot, cron, restart-down, elastic, workstation)`},
	}
	for _, tt := range tests {
		if _, errs := New(tt.kind, nil); strings.Join(fieldErrors(errs), "\n") != tt.want {
			t.Errorf("New(%q): %v, want %s", tt.kind, errs, tt.want)
		}
	}
}

// No policy has a secret parameter yet; infrastructures (SSH keys, cloud
// tokens) will, with the same Param and Redact.
var secretSpec = []Param{
	{Name: "host", Type: TypeString, Help: "h"},
	{Name: "token", Type: TypeString, Required: true, Secret: true, Help: "t"},
	{Name: "pin", Type: TypeInt, Secret: true, Help: "p"},
}

func TestSecrets(t *testing.T) {
	given := Params{"host": "a.example", "token": "s3cr3t", "pin": "12ab"}
	v := parseParams(secretSpec, given)
	got := strings.Join(fieldErrors(v.errors()), "\n")
	if want := "params.pin: must be a whole number"; got != want {
		t.Errorf("errors %q, want %q", got, want)
	}
	if strings.Contains(got, "12ab") {
		t.Error("a secret's value is quoted in an error")
	}

	read := Redact(secretSpec, given)
	if want := (Params{"host": "a.example", "token": Redacted, "pin": Redacted}); !reflect.DeepEqual(read, want) {
		t.Errorf("Redact = %v, want %v", read, want)
	}
	if given["token"] != "s3cr3t" {
		t.Error("Redact changed its argument")
	}
	if empty := Redact(secretSpec, Params{"token": ""}); empty["token"] != "" {
		t.Errorf("an empty secret reads %q, want empty (not set)", empty["token"])
	}

	b, _ := json.Marshal(secretSpec[1])
	if want := `{"name":"token","type":"string","required":true,"secret":true,"help":"t"}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
}

func TestEmptyValueMeansDefault(t *testing.T) {
	p := mustNew(t, KindElastic, Params{"max_nodes": "3", "load_factor": "  ", "release_after": ""})
	if e := p.(elastic); e.loadFactor != 1 || e.releaseAfter != 10*time.Minute {
		t.Errorf("got %+v, want the defaults", e)
	}
}

// TestDocExamples keeps docs/policies.md's examples valid.
func TestDocExamples(t *testing.T) {
	for _, ex := range []struct {
		kind string
		p    Params
	}{
		{KindStatic, nil},
		{KindTimeSlot, Params{"start": "08:00", "end": "19:00", "days": "mon-fri"}},
		{KindTimeSlot, Params{"start": "22:00", "end": "06:00"}},
		{KindTimeSlot, Params{"start": "18:00", "duration": "62h", "days": "fri", "preemptive": "true"}},
		{KindCron, Params{"acquire": "0 20 * * mon-fri", "release": "0 7 * * tue-sat", "timezone": "Europe/Paris"}},
		{KindRestartDown, Params{"max_redeploys": "2", "redeploy_window": "15m"}},
		{KindElastic, Params{"min_nodes": "1", "max_nodes": "20", "load_factor": "2", "release_after": "15m"}},
		{KindWorkstation, Params{"input_idle": "10m", "max_load": "0.3", "start": "18:00", "end": "08:00", "days": "mon-fri"}},
	} {
		mustNew(t, ex.kind, ex.p)
	}
	p := mustNew(t, KindElastic, Params{"min_nodes": "1", "max_nodes": "20", "load_factor": "2"})
	d, _ := p.Decide(Snapshot{Now: t0, PendingTasks: 7, Nodes: nodes(busy(2), free(1), deploying(1))}, State{})
	if d.Acquire != 1 {
		t.Errorf("the elastic example acquires %d, the guide says 1", d.Acquire)
	}
}
