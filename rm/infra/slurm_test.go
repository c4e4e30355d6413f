package infra

import (
	"encoding/json"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// slurmFakeAgent stands in for `shrike node` in a batch job: it records
// its arguments in its working directory (the node's, --chdir) and
// sleeps until cancelled; with --fake-fail it exits 3 at once.
const slurmFakeAgent = `#!/bin/sh
printf '%s\n' "$@" >args.tmp && mv args.tmp args
for a in "$@"; do
	if [ "$a" = --fake-fail ]; then echo "fake agent: cannot reach nats"; exit 3; fi
done
echo "fake agent up"
exec sleep 300
`

// slurmFixture is a test cluster with a fake agent and a shared work
// directory.
type slurmFixture struct {
	cluster *slurmCluster
	agent   string
	workDir string
}

func (f *slurmFixture) newInfra(t *testing.T, params map[string]string) Infrastructure {
	t.Helper()
	p := map[string]string{"work_dir": f.workDir, "agent_path": f.agent, "slurm_conf": f.cluster.conf}
	for k, v := range params {
		p[k] = v
	}
	inf, errs := slurmKind.New(p, Env{Source: "hpc", Logger: slog.New(slog.DiscardHandler)})
	if len(errs) > 0 {
		t.Fatalf("params: %v", errs)
	}
	t.Cleanup(func() { inf.Close() })
	return inf
}

// slurmLostEventually calls Check until it reports the node.
func slurmLostEventually(t *testing.T, inf Infrastructure, d Deployed) string {
	t.Helper()
	var reason string
	slurmEventually(t, "Check to report "+d.Name, func() bool {
		reason = inf.Check(t.Context(), []Deployed{d})[d.Name]
		return reason != ""
	})
	return reason
}

func slurmCreds(name string) api.NodeCredentials {
	return api.NodeCredentials{Name: name, Source: "hpc", Secret: "s3cret-" + name, NATSURL: "nats://10.0.0.1:4222"}
}

// TestSlurm runs node agents as jobs of a real one-host Slurm cluster.
func TestSlurm(t *testing.T) {
	c := startSlurmCluster(t)
	f := &slurmFixture{cluster: c, workDir: filepath.Join(c.dir, "shared", "shrike"), agent: filepath.Join(c.dir, "fake-shrike")}
	if err := os.WriteFile(f.agent, []byte(slurmFakeAgent), 0o755); err != nil {
		t.Fatal(err)
	}

	t.Run("DeployRunsTheAgentAsABatchJob", func(t *testing.T) {
		t.Parallel()
		inf := f.newInfra(t, map[string]string{
			"partition": "debug", "time_limit": "90m", "cpus": "2", "memory": "100m",
			"sbatch_options": "--comment=shrike-test --nice=5", "agent_args": `--fake-tag 'a b'`,
			"nats_url": "nats://login.example:4222",
		})
		id, err := inf.Deploy(t.Context(), Node{Name: "n1", Credentials: slurmCreds("n1")})
		if err != nil {
			t.Fatal(err)
		}
		d := Deployed{Name: "n1", Handle: id}
		dir := filepath.Join(f.workDir, "n1")
		args := slurmAgentArgs(t, dir)
		want := agentArgs(dir, filepath.Join(dir, CredentialsFile), "--cpus", "2", "--fake-tag", "a b")
		if !slices.Equal(args, want) {
			t.Errorf("agent args = %q, want %q", args, want)
		}
		job := c.job(t, id)
		for k, v := range map[string]string{
			"JobState": "RUNNING", "JobName": "shrike-hpc-n1", "Partition": "debug", "TimeLimit": "01:30:00",
			"NumCPUs": "2", "MinMemoryNode": "100M", "Comment": "shrike-test", "Nice": "5", "WorkDir": dir,
			"StdOut": filepath.Join(dir, LogFile), "Command": filepath.Join(dir, slurmScript),
		} {
			if job[k] != v {
				t.Errorf("job %s = %q, want %q", k, job[k], v)
			}
		}
		slurmCheckCredentials(t, dir, "nats://login.example:4222")
		if lost := inf.Check(t.Context(), []Deployed{d}); len(lost) != 0 {
			t.Errorf("Check of a running job = %v, want nothing", lost)
		}

		if err := inf.Release(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		if reason := slurmLostEventually(t, inf, d); !strings.HasPrefix(reason, "slurm job "+id+" ended: CANCELLED") {
			t.Errorf("reason = %q, want the job cancelled", reason)
		}
		if err := inf.Release(t.Context(), d); err != nil {
			t.Errorf("second release: %v", err)
		}
	})

	t.Run("CheckReportsAJobThatEnded", func(t *testing.T) {
		t.Parallel()
		inf := f.newInfra(t, map[string]string{"agent_args": "--fake-fail"})
		id, err := inf.Deploy(t.Context(), Node{Name: "n2", Credentials: slurmCreds("n2")})
		if err != nil {
			t.Fatal(err)
		}
		reason := slurmLostEventually(t, inf, Deployed{Name: "n2", Handle: id})
		want := "slurm job " + id + " ended: FAILED: fake agent: cannot reach nats"
		if reason != want {
			t.Errorf("reason = %q, want %q", reason, want)
		}
	})

	t.Run("CheckAsksOnceForAllJobs", func(t *testing.T) {
		t.Parallel()
		inf := f.newInfra(t, nil)
		id, err := inf.Deploy(t.Context(), Node{Name: "n4", Credentials: slurmCreds("n4")})
		if err != nil {
			t.Fatal(err)
		}
		slurmAgentArgs(t, filepath.Join(f.workDir, "n4"))
		nodes := []Deployed{{Name: "n4", Handle: id}, {Name: "gone", Handle: "999999"}, {Name: "junk", Handle: "x1"}}
		lost := inf.Check(t.Context(), nodes)
		want := map[string]string{
			"gone": "slurm job 999999 ended (Slurm no longer lists it)",
			"junk": `bad handle "x1": want a Slurm job ID`,
		}
		if !maps.Equal(lost, want) {
			t.Errorf("Check = %q, want %q", lost, want)
		}
		// Asked for one unknown job, squeue fails instead of leaving it out.
		if lost := inf.Check(t.Context(), nodes[1:2]); lost["gone"] != want["gone"] {
			t.Errorf("Check of one unknown job = %q", lost)
		}
		if err := inf.Release(t.Context(), nodes[1]); err != nil {
			t.Errorf("release of an unknown job: %v", err)
		}
	})

	t.Run("SbatchErrorsAreReported", func(t *testing.T) {
		t.Parallel()
		inf := f.newInfra(t, map[string]string{"partition": "nope"})
		_, err := inf.Deploy(t.Context(), Node{Name: "n5", Credentials: slurmCreds("n5")})
		if err == nil || !strings.Contains(err.Error(), "sbatch") || !strings.Contains(err.Error(), "invalid partition") {
			t.Errorf("Deploy to a missing partition: %v", err)
		}
	})

	t.Run("CheckReportsNothingWhenSlurmFails", func(t *testing.T) {
		t.Parallel()
		bad := filepath.Join(t.TempDir(), "slurm.conf")
		if err := os.WriteFile(bad, []byte("NotAKey=1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		inf := f.newInfra(t, map[string]string{"slurm_conf": bad})
		if lost := inf.Check(t.Context(), []Deployed{{Name: "n6", Handle: "1"}}); len(lost) != 0 {
			t.Errorf("Check without Slurm = %v, want nothing", lost)
		}
		if _, err := inf.Deploy(t.Context(), Node{Name: "n6", Credentials: slurmCreds("n6")}); err == nil {
			t.Error("Deploy without Slurm succeeded")
		}
	})
}

// slurmAgentArgs waits for the fake agent in dir to start and returns the
// arguments it got.
func slurmAgentArgs(t *testing.T, dir string) []string {
	t.Helper()
	var data []byte
	slurmEventually(t, "the agent in "+dir, func() bool {
		var err error
		data, err = os.ReadFile(filepath.Join(dir, "args"))
		return err == nil
	})
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// slurmCheckCredentials checks the node's directory and credentials file:
// private, and holding the node's credentials with natsURL.
func slurmCheckCredentials(t *testing.T, dir, natsURL string) {
	t.Helper()
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("work dir: %v, mode %v", err, st.Mode().Perm())
	}
	path := filepath.Join(dir, CredentialsFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("credentials mode = %v, want 0600", st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got api.NodeCredentials
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := slurmCreds(filepath.Base(dir))
	want.NATSURL = natsURL
	if got != want {
		t.Errorf("credentials = %+v, want %+v", got, want)
	}
}
