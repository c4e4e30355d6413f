package node

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// stagingAgent runs an agent named name with a fake server and returns
// both and the agent's config.
func stagingAgent(t *testing.T, name string) (*fakeServer, Config, *runningAgent) {
	t.Helper()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), name)
	ra := startAgent(t, cfg)
	waitRegistered(t, fs, 1)
	return fs, cfg, ra
}

// writeFiles creates the files (path relative to dir -> content).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// treeFiles lists the regular files under dir (relative, "/"-separated)
// with their contents.
func treeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// noHTTP is a server URL whose every request fails the test.
func noHTTP(t *testing.T) string {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no HTTP expected", http.StatusTeapot)
	}))
	t.Cleanup(func() {
		srv.Close()
		if n := calls.Load(); n > 0 {
			t.Errorf("%d HTTP requests for spaces the node sees locally", n)
		}
	})
	return srv.URL
}

func TestStagingLocalSpaces(t *testing.T) {
	t.Parallel()
	fs, cfg, _ := stagingAgent(t, "local")
	in, out := t.TempDir(), t.TempDir()
	writeFiles(t, in, map[string]string{
		"data/a.csv":       "1,2\n",
		"data/sub/b.csv":   "3,4\n",
		"data/skip.csv":    "no\n",
		"data/notes.txt":   "not selected\n",
		".shrike.partial":  "reserved\n",
		"other/c.csv":      "not under data\n",
		"data/.shrike.tmp": "reserved\n",
	})
	if err := os.Symlink("/etc/passwd", filepath.Join(in, "data", "escape.csv")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, out, map[string]string{"old.txt": "replaced\n"})

	tk := task(1, `cat data/a.csv data/sub/b.csv > result.txt; ln -s result.txt link.txt; echo new > old.txt; echo scratch > tmp.log`)
	tk.Staging = &api.Staging{
		ServerURL: noHTTP(t),
		Token:     "unused",
		Inputs:    []api.FileTransfer{{Include: []string{"data/**/*.csv"}, Exclude: []string{"data/skip.csv"}}},
		Outputs:   []api.FileTransfer{{Include: []string{"*.txt"}}},
		Local:     map[string]string{api.SpaceInput: in, api.SpaceOutput: out},
	}
	fs.start(t, "local", tk)
	res := fs.waitResult(t, tk.Key())
	log, _ := fs.streamedLog(tk.Key())
	if res.Outcome != api.OutcomeSucceeded {
		t.Fatalf("outcome %s (error %q), want succeeded; log:\n%s", res.Outcome, res.Error, log)
	}
	want := map[string]string{"result.txt": "1,2\n3,4\n", "link.txt": "1,2\n3,4\n", "old.txt": "new\n"}
	if got := treeFiles(t, out); !maps.Equal(got, want) {
		t.Errorf("output space holds %v, want %v", got, want)
	}
	for _, line := range []string{
		"shrike: pulled data/a.csv (4 B) from input (local copy)\n",
		"shrike: pulled data/sub/b.csv (4 B) from input (local copy)\n",
		"shrike: input_files[0]: 2 files from input\n",
		"shrike: pushed result.txt (8 B) to output (local copy)\n",
		"shrike: output_files[0]: 3 files to output\n",
	} {
		if !strings.Contains(log, line) {
			t.Errorf("log lacks %q:\n%s", line, log)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.WorkDir, "tasks", "1-1")); !os.IsNotExist(err) {
		t.Errorf("scratch dir still there after a success: %v", err)
	}

	// A symbolic link out of the scratch dir is not pushed: it fails the
	// push, as over HTTP.
	escape := task(2, `ln -s /etc/passwd stolen.txt`)
	escape.Staging = &api.Staging{
		Outputs: []api.FileTransfer{{Include: []string{"*.txt"}}},
		Local:   map[string]string{api.SpaceOutput: out},
	}
	fs.start(t, "local", escape)
	res = fs.waitResult(t, escape.Key())
	if res.Outcome != api.OutcomeError || !strings.Contains(res.Error, "stolen.txt: a symbolic link that leads out") {
		t.Errorf("outcome %s error %q, want error about the link", res.Outcome, res.Error)
	}
	if _, err := os.Stat(filepath.Join(out, "stolen.txt")); !os.IsNotExist(err) {
		t.Errorf("a link out of the scratch dir was pushed: %v", err)
	}
}

func TestStagingScratch(t *testing.T) {
	t.Parallel()
	fs, cfg, _ := stagingAgent(t, "scratch")
	in := t.TempDir()
	writeFiles(t, in, map[string]string{"in.txt": "input\n"})

	tests := map[string]struct {
		script string
		keep   bool
		inputs []api.FileTransfer
		want   api.Outcome
		kept   []string // the files left in the scratch dir; nil: removed
	}{
		"success removes it": {
			script: "cat in.txt > mine", keep: true, want: api.OutcomeSucceeded,
		},
		"failure keeps it when asked": {
			script: "cat in.txt > mine; exit 1", keep: true, want: api.OutcomeFailed,
			kept: []string{"in.txt", "mine", scriptFile},
		},
		"failure removes it by default": {
			script: "cat in.txt > mine; exit 1", want: api.OutcomeFailed,
		},
		"failed staging keeps what was pulled": {
			script: "touch ran", keep: true, want: api.OutcomeError,
			inputs: []api.FileTransfer{{}, {Include: []string{"missing.txt"}}},
			kept:   []string{"in.txt"},
		},
	}
	id := int64(0)
	for name, tc := range tests {
		id++
		tid := id
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tk := task(tid, tc.script)
			tk.Staging = &api.Staging{
				Inputs:               cmpOr(tc.inputs, []api.FileTransfer{{}}),
				Local:                map[string]string{api.SpaceInput: in},
				KeepScratchOnFailure: tc.keep,
			}
			fs.start(t, "scratch", tk)
			res := fs.waitResult(t, tk.Key())
			if res.Outcome != tc.want {
				t.Errorf("outcome %s (error %q), want %s", res.Outcome, res.Error, tc.want)
			}
			dir := filepath.Join(cfg.WorkDir, "tasks", attemptName(tk.Key()))
			log, _ := fs.streamedLog(tk.Key())
			if tc.kept == nil {
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Errorf("scratch dir still there: %v", err)
				}
				return
			}
			got := treeFiles(t, dir)
			if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, tc.kept) {
				t.Errorf("kept scratch holds %v, want %v", names, tc.kept)
			}
			if !strings.Contains(log, "shrike: scratch directory of the failed attempt kept on node scratch: "+dir+"\n") {
				t.Errorf("log does not say where the scratch dir is kept:\n%s", log)
			}
		})
	}
}

// TestKeptScratchCleanup: a scratch dir kept after a failure goes after
// the log retention, or at the next start of the agent, like every
// leftover of attempts that no longer run.
func TestKeptScratchCleanup(t *testing.T) {
	t.Parallel()
	fs, cfg, ra := stagingAgent(t, "keptclean")
	in := t.TempDir()
	writeFiles(t, in, map[string]string{"in.txt": "input\n"})
	kept := func(id int64) string {
		tk := task(id, "exit 1")
		tk.Staging = &api.Staging{Inputs: []api.FileTransfer{{}}, Local: map[string]string{api.SpaceInput: in}, KeepScratchOnFailure: true}
		fs.start(t, "keptclean", tk)
		fs.waitResult(t, tk.Key())
		dir := filepath.Join(cfg.WorkDir, "tasks", attemptName(tk.Key()))
		if _, err := os.Stat(filepath.Join(dir, "in.txt")); err != nil {
			t.Fatalf("scratch of task %d not kept: %v", id, err)
		}
		return dir
	}
	dir1, dir2 := kept(1), kept(2)
	running := task(3, "sleep 1000")
	fs.start(t, "keptclean", running)
	attemptPgid(t, ra.Agent, 3)
	runDir := filepath.Join(cfg.WorkDir, "tasks", attemptName(running.Key()))

	old := time.Now().Add(-48 * time.Hour)
	for _, d := range []string{dir1, runDir} {
		if err := os.Chtimes(d, old, old); err != nil {
			t.Fatal(err)
		}
	}
	ra.cleanKeptScratch(time.Now().Add(-24 * time.Hour))
	if _, err := os.Stat(dir1); !os.IsNotExist(err) {
		t.Errorf("kept scratch older than the retention still there: %v", err)
	}
	for _, d := range []string{dir2, runDir} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s removed: %v", d, err)
		}
	}

	if err := ra.stop(t); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(cfg.WorkDir, "tasks")); len(entries) != 0 {
		t.Errorf("scratch dirs left after a restart: %v", entries)
	}
}

func TestCheckStaging(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		st   api.Staging
		want []string // substrings of the problems, in order
	}{
		"http": {st: api.Staging{ServerURL: "http://s", Token: "t", Inputs: []api.FileTransfer{{}, {From: "user"}}, Outputs: []api.FileTransfer{{To: "global"}}}},
		"all local needs no server": {
			st: api.Staging{Inputs: []api.FileTransfer{{}}, Local: map[string]string{"input": "/shared/in"}},
		},
		"bad spaces": {
			st:   api.Staging{ServerURL: "http://s", Token: "t", Inputs: []api.FileTransfer{{From: "scratch"}, {From: "output"}}, Outputs: []api.FileTransfer{{To: "input"}}},
			want: []string{`inputs[0].from: unknown space "scratch"`, `outputs[0].to: unknown space "input"`},
		},
		"no token": {
			st:   api.Staging{ServerURL: "http://s", Outputs: []api.FileTransfer{{}}, Local: map[string]string{"input": "/x"}},
			want: []string{"server_url and token are required"},
		},
		"relative local path": {
			st:   api.Staging{Inputs: []api.FileTransfer{{}}, Local: map[string]string{"input": "shared/in"}},
			want: []string{`local[input]: want an absolute path, got "shared/in"`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := checkStaging(&tc.st)
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %d like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func cmpOr[T any](v, def []T) []T {
	if len(v) > 0 {
		return v
	}
	return def
}
