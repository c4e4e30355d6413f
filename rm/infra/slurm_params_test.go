package infra

import (
	"slices"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

func TestSlurmParamsReportEveryProblem(t *testing.T) {
	tests := map[string]struct {
		params map[string]string
		want   []api.FieldError
	}{
		"work_dir is required": {
			params: map[string]string{},
			want:   []api.FieldError{{Field: "params.work_dir", Message: "required"}},
		},
		"values that do not parse": {
			params: map[string]string{"work_dir": "/shared", "time_limit": "soon", "cpus": "many", "max_nodes": "1.5"},
			want: []api.FieldError{
				{Field: "params.time_limit", Message: `"soon" is not a duration like 30s, 10m, 2h or 1d`},
				{Field: "params.cpus", Message: `"many" is not a whole number`},
				{Field: "params.max_nodes", Message: `"1.5" is not a whole number`},
			},
		},
		"values out of range, bad paths and quoting, unknown names": {
			params: map[string]string{
				"work_dir": "shared/shrike", "time_limit": "0s", "cpus": "0", "memory": "4 GB", "max_nodes": "-1",
				"sbatch_options": `--account='physics`, "agent_args": `--tags "a`, "nats_url": "login:4222",
				"slurm_bin": "bin", "slurm_conf": "etc/slurm.conf", "partiton": "gpu",
			},
			want: []api.FieldError{
				{Field: "params.work_dir", Message: `"shared/shrike" is not an absolute path`},
				{Field: "params.max_nodes", Message: "must be 0 (no limit) or more"},
				{Field: "params.time_limit", Message: "must be more than 0"},
				{Field: "params.cpus", Message: "must be at least 1"},
				{Field: "params.memory", Message: `"4 GB" is not a size like 4G, 500M or 1T`},
				{Field: "params.sbatch_options", Message: "unterminated single quote"},
				{Field: "params.agent_args", Message: "unterminated double quote"},
				{Field: "params.nats_url", Message: `"login:4222" is not a URL like nats://host:4222 (or a comma-separated list of them)`},
				{Field: "params.slurm_bin", Message: `"bin" is not an absolute path`},
				{Field: "params.slurm_conf", Message: `"etc/slurm.conf" is not an absolute path`},
				{Field: "params.partiton", Message: `unknown parameter; did you mean "partition"?`},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			inf, errs := slurmKind.New(tc.params, Env{Source: "hpc"})
			if !slices.Equal(errs, tc.want) {
				t.Errorf("errors:\n got %v\nwant %v", errs, tc.want)
			}
			if inf != nil {
				t.Errorf("built an infrastructure despite the errors")
			}
		})
	}
}

func TestSlurmParamsBecomeSbatchOptionsAndAgentFlags(t *testing.T) {
	inf, errs := slurmKind.New(map[string]string{
		"work_dir": "/shared/shrike/", "partition": "gpu", "time_limit": "1d", "cpus": "4", "memory": "4g",
		"max_nodes": "10", "sbatch_options": `--account=physics --comment="two words"`,
		"agent_path": "~/bin/shrike", "agent_args": "--tags gpu", "nats_url": "nats://a:4222, nats://b:4222",
		"slurm_bin": "/opt/slurm/bin", "slurm_conf": "/etc/slurm/other.conf",
	}, Env{Source: "hpc"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s := inf.(*slurm)
	if s.Capacity() != 10 || s.natsURL != "nats://a:4222, nats://b:4222" ||
		s.cmds != (slurmCommands{bin: "/opt/slurm/bin", conf: "/etc/slurm/other.conf"}) {
		t.Errorf("capacity %d, nats_url %q, commands %+v", s.Capacity(), s.natsURL, s.cmds)
	}
	dir := "/shared/shrike/n1"
	wantArgs := []string{
		"--parsable", "--job-name=shrike-hpc-n1", "--chdir=" + dir, "--output=" + dir + "/agent.log", "--open-mode=append",
		"--partition=gpu", "--time=1440", "--cpus-per-task=4", "--mem=4G", "--account=physics", "--comment=two words",
		dir + "/agent.sbatch",
	}
	if got := s.sbatchArgs("n1", dir); !slices.Equal(got, wantArgs) {
		t.Errorf("sbatch args:\n got %q\nwant %q", got, wantArgs)
	}
	wantScript := "#!/bin/sh\n# Shrike node n1 of source hpc, submitted by the shrike server.\n" +
		`exec "$HOME"/'bin/shrike' ` + shellWords(agentArgs(dir, dir+"/credentials.json", "--cpus", "4", "--tags", "gpu")) + "\n"
	if got := s.script("n1", dir); got != wantScript {
		t.Errorf("script:\n%s\nwant:\n%s", got, wantScript)
	}
}

func TestSlurmParamsDefaults(t *testing.T) {
	inf, errs := slurmKind.New(map[string]string{"work_dir": "/shared"}, Env{Source: "hpc"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s := inf.(*slurm)
	if s.Capacity() != 0 || s.agent != "shrike" || len(s.flags) != 0 || len(s.sbatch) != 0 || s.cmds != (slurmCommands{}) {
		t.Errorf("defaults: %+v", s)
	}
}

func TestSlurmTime(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute:                          "1",
		90 * time.Minute:                     "90",
		48 * time.Hour:                       "2880",
		30 * time.Second:                     "0-00:00:30",
		time.Hour + 30*time.Minute + 15e9:    "0-01:30:15",
		25*time.Hour + 1500*time.Millisecond: "1-01:00:02",
	} {
		if got := slurmTime(d); got != want {
			t.Errorf("slurmTime(%v) = %q, want %q", d, got, want)
		}
	}
}
