package node

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
)

// spaceToken is the capability token the test space server accepts.
const spaceToken = "cap-token"

// spaceServer serves the transfer routes (/api/v1/transfer/{space}/...)
// of job 7's spaces, its owner's user space and the global space from a
// temporary store, to holders of spaceToken, as the server does for a
// node's capability token. input and global are read-only.
type spaceServer struct {
	URL    string
	spaces map[string]*dataspace.Space
	// block, when set, makes requests of that method wait for their end
	// (the client giving up), after a send on entered.
	block   string
	entered chan struct{}
	// readOnly refuses every upload.
	readOnly bool
}

func newSpaceServer(t *testing.T, configure func(*spaceServer)) *spaceServer {
	t.Helper()
	st, err := dataspace.Open(t.TempDir(), dataspace.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	s := &spaceServer{spaces: map[string]*dataspace.Space{}, entered: make(chan struct{}, 1)}
	for _, name := range []string{api.SpaceInput, api.SpaceOutput} {
		if s.spaces[name], err = st.Job(7, name, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{api.SpaceUser, api.SpaceGlobal} {
		if s.spaces[name], err = st.UserOrGlobal(name, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	if configure != nil {
		configure(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/transfer/{space}/{path...}", s.serve)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *spaceServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+spaceToken {
		writeAPIError(w, api.Errorf(api.CodeUnauthorized, "bad capability token"))
		return
	}
	sp := s.spaces[r.PathValue("space")]
	if sp == nil {
		writeAPIError(w, api.Errorf(api.CodeForbidden, "the token does not open space %s", r.PathValue("space")))
		return
	}
	if r.Method == s.block && r.URL.Query().Get("walk") == "" {
		select {
		case s.entered <- struct{}{}:
		default:
		}
		// The server notices a client that gives up only once the body
		// is read.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		sp.ServeHTTPFile(w, r, r.PathValue("path"))
	case http.MethodPut:
		name := sp.Name()
		if s.readOnly || name == api.SpaceInput || name == api.SpaceGlobal {
			writeAPIError(w, api.Errorf(api.CodeForbidden, "space %s is read-only", name))
			return
		}
		e, err := sp.ReceiveHTTPFile(r, r.PathValue("path"))
		if err != nil {
			var ae *api.Error
			if !errors.As(err, &ae) {
				ae = api.Errorf(api.CodeInternal, "%v", err)
			}
			writeAPIError(w, ae)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(e)
	default:
		writeAPIError(w, api.Errorf(api.CodeBadRequest, "method %s", r.Method))
	}
}

func writeAPIError(w http.ResponseWriter, e *api.Error) {
	status := map[api.Code]int{
		api.CodeUnauthorized: http.StatusUnauthorized, api.CodeForbidden: http.StatusForbidden,
		api.CodeNotFound: http.StatusNotFound, api.CodeConflict: http.StatusConflict,
		api.CodeBadRequest: http.StatusBadRequest, api.CodeInvalid: http.StatusBadRequest,
	}[e.Code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
}

// files lists the files of a space with their contents, without the
// space's hidden files (checksum sidecars).
func (s *spaceServer) files(t *testing.T, space string) map[string]string {
	t.Helper()
	files := treeFiles(t, s.spaces[space].Dir())
	maps.DeleteFunc(files, func(rel string, _ string) bool { return strings.HasPrefix(path.Base(rel), reservedPrefix) })
	return files
}

// staging is the Staging of a task moving its files through s.
func (s *spaceServer) staging(inputs, outputs []api.FileTransfer) *api.Staging {
	return &api.Staging{ServerURL: s.URL, Token: spaceToken, Inputs: inputs, Outputs: outputs}
}

// withMark makes tk touch a marker file outside its scratch dir before
// its script, and returns the marker's path: it exists once the task ran.
func withMark(t *testing.T, tk api.StartTask) (api.StartTask, string) {
	mark := filepath.Join(t.TempDir(), "ran")
	tk.Env = map[string]string{"MARK": mark}
	tk.Script = `touch "$MARK"; ` + tk.Script
	return tk, mark
}

func ran(mark string) bool {
	_, err := os.Stat(mark)
	return err == nil
}

func TestStagingHTTP(t *testing.T) {
	t.Parallel()
	fs, cfg, _ := stagingAgent(t, "staging")

	type check func(t *testing.T, s *spaceServer, res api.TaskResult, log string, ran bool)
	tests := map[string]struct {
		configure func(*spaceServer)
		input     map[string]string
		script    string
		inputs    []api.FileTransfer
		outputs   []api.FileTransfer
		token     string
		outcome   api.Outcome
		exitCode  int
		check     check
	}{
		"input in, outputs out": {
			input:   map[string]string{"data/a.csv": "x,y\n", "data/b.txt": "not pulled\n"},
			script:  `test ! -e data/b.txt && wc -l < data/a.csv | tr -d ' ' > count.txt && cp data/a.csv copy.csv`,
			inputs:  []api.FileTransfer{{Include: []string{"data/*.csv"}}},
			outputs: []api.FileTransfer{{Include: []string{"*.txt"}}, {To: api.SpaceUser, Include: []string{"copy.csv"}}},
			outcome: api.OutcomeSucceeded,
			check: func(t *testing.T, s *spaceServer, res api.TaskResult, log string, _ bool) {
				if got := s.files(t, api.SpaceOutput); len(got) != 1 || got["count.txt"] != "1\n" {
					t.Errorf("output space holds %v, want count.txt", got)
				}
				if got := s.files(t, api.SpaceUser); len(got) != 1 || got["copy.csv"] != "x,y\n" {
					t.Errorf("user space holds %v, want copy.csv", got)
				}
				for _, line := range []string{
					"shrike: pulled data/a.csv (4 B)\n",
					"shrike: input_files[0]: 1 file from input\n",
					"shrike: output_files[0]: 1 file to output\n",
					"shrike: output_files[1]: 1 file to user\n",
				} {
					if !strings.Contains(log, line) {
						t.Errorf("log lacks %q", line)
					}
				}
			},
		},
		"missing required input": {
			input:    map[string]string{"data/a.txt": "not a csv\n"},
			inputs:   []api.FileTransfer{{Include: []string{"data/*.csv"}}},
			outputs:  []api.FileTransfer{{}},
			outcome:  api.OutcomeError,
			exitCode: -1,
			check: func(t *testing.T, s *spaceServer, res api.TaskResult, log string, ran bool) {
				const want = "input_files[0]: no file in input matches include [data/*.csv]"
				if res.Error != want {
					t.Errorf("error %q, want %q", res.Error, want)
				}
				if !strings.Contains(log, "shrike: input staging failed: "+want+"\n") {
					t.Errorf("log does not say why")
				}
				if ran {
					t.Errorf("the task ran without its input")
				}
				if got := s.files(t, api.SpaceOutput); len(got) != 0 {
					t.Errorf("outputs %v pushed for a task that never ran", got)
				}
			},
		},
		"missing optional input": {
			inputs:  []api.FileTransfer{{Include: []string{"data/*.csv"}, Optional: true}},
			script:  "echo ok > out.txt",
			outputs: []api.FileTransfer{{Include: []string{"out.txt"}}},
			outcome: api.OutcomeSucceeded,
			check: func(t *testing.T, s *spaceServer, _ api.TaskResult, log string, _ bool) {
				if got := s.files(t, api.SpaceOutput); got["out.txt"] != "ok\n" {
					t.Errorf("output space holds %v, want out.txt", got)
				}
				if !strings.Contains(log, "shrike: input_files[0]: 0 files from input\n") {
					t.Errorf("log does not tell about the optional input")
				}
			},
		},
		"outputs pushed after a failure": {
			script:   "echo partial > part.txt; exit 3",
			outputs:  []api.FileTransfer{{Include: []string{"part.txt"}}},
			outcome:  api.OutcomeFailed,
			exitCode: 3,
			check: func(t *testing.T, s *spaceServer, res api.TaskResult, _ string, _ bool) {
				if got := s.files(t, api.SpaceOutput); got["part.txt"] != "partial\n" {
					t.Errorf("output space holds %v, want part.txt", got)
				}
			},
		},
		"push refused turns a success into an error": {
			configure: func(s *spaceServer) { s.readOnly = true },
			script:    "echo x > out.txt",
			outputs:   []api.FileTransfer{{Include: []string{"out.txt"}}},
			outcome:   api.OutcomeError,
			check: func(t *testing.T, _ *spaceServer, res api.TaskResult, log string, _ bool) {
				if !strings.HasPrefix(res.Error, "output_files[0]: ") || !strings.Contains(res.Error, "read-only") {
					t.Errorf("error %q, want output_files[0] and the server's reason", res.Error)
				}
				if !strings.Contains(log, "shrike: output staging failed: output_files[0]: ") {
					t.Errorf("log does not say the push failed")
				}
			},
		},
		"bad token": {
			input:    map[string]string{"a": "a"},
			inputs:   []api.FileTransfer{{}},
			token:    "stale",
			outcome:  api.OutcomeError,
			exitCode: -1,
			check: func(t *testing.T, _ *spaceServer, res api.TaskResult, _ string, ran bool) {
				if !strings.HasPrefix(res.Error, "input_files[0]: ") || !strings.Contains(res.Error, "bad capability token") {
					t.Errorf("error %q, want input_files[0] and the server's reason", res.Error)
				}
				if ran {
					t.Errorf("the task ran without its input")
				}
			},
		},
	}
	id := int64(0)
	for name, tc := range tests {
		id++
		tid := id
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newSpaceServer(t, tc.configure)
			writeFiles(t, s.spaces[api.SpaceInput].Dir(), tc.input)
			tk, mark := withMark(t, task(tid, tc.script))
			tk.Staging = s.staging(tc.inputs, tc.outputs)
			if tc.token != "" {
				tk.Staging.Token = tc.token
			}
			fs.start(t, "staging", tk)
			res := fs.waitResult(t, tk.Key())
			log, _ := fs.streamedLog(tk.Key())
			if res.Outcome != tc.outcome || res.ExitCode != tc.exitCode {
				t.Errorf("outcome %s exit %d (error %q), want %s exit %d; log:\n%s", res.Outcome, res.ExitCode, res.Error, tc.outcome, tc.exitCode, log)
			}
			tc.check(t, s, res, log, ran(mark))
			if _, err := os.Stat(filepath.Join(cfg.WorkDir, "tasks", attemptName(tk.Key()))); !os.IsNotExist(err) {
				t.Errorf("scratch dir still there: %v", err)
			}
		})
	}
}

// TestStagingStops: a kill while inputs are pulled ends the attempt at
// once without running the task; a kill while outputs are pushed aborts
// the push; the agent's shutdown during a push ends the attempt without a
// result. None of them waits for the stuck transfer.
func TestStagingStops(t *testing.T) {
	t.Parallel()
	fs, _, ra := stagingAgent(t, "stops")
	kill := func(tk api.StartTask) {
		fs.command(t, "stops", api.Command{Kill: &api.KillRequest{Tasks: []api.TaskRef{tk.TaskRef}, Reason: "test"}})
	}
	wait := func(s *spaceServer) {
		t.Helper()
		select {
		case <-s.entered:
		case <-time.After(testWait):
			t.Fatal("the transfer did not start")
		}
	}

	pulling := newSpaceServer(t, func(s *spaceServer) { s.block = http.MethodGet })
	writeFiles(t, pulling.spaces[api.SpaceInput].Dir(), map[string]string{"big": "data"})
	tk1, mark := withMark(t, task(1, ""))
	tk1.Staging = pulling.staging([]api.FileTransfer{{}}, nil)
	fs.start(t, "stops", tk1)
	wait(pulling)
	kill(tk1)
	res := fs.waitResult(t, tk1.Key())
	if res.Outcome != api.OutcomeKilled || ran(mark) {
		t.Errorf("kill while pulling: outcome %s (error %q), ran %v; want killed, not run", res.Outcome, res.Error, ran(mark))
	}

	pushing := newSpaceServer(t, func(s *spaceServer) { s.block = http.MethodPut })
	tk2 := task(2, "echo x > out.txt")
	tk2.Staging = pushing.staging(nil, []api.FileTransfer{{Include: []string{"out.txt"}}})
	fs.start(t, "stops", tk2)
	wait(pushing)
	kill(tk2)
	res = fs.waitResult(t, tk2.Key())
	if res.Outcome != api.OutcomeKilled || res.ExitCode != 0 || !strings.HasPrefix(res.Error, "output_files[0]: ") {
		t.Errorf("kill while pushing: outcome %s exit %d error %q; want killed, exit 0 and the push's error", res.Outcome, res.ExitCode, res.Error)
	}

	tk3 := task(3, "echo x > out.txt")
	tk3.Staging = pushing.staging(nil, []api.FileTransfer{{Include: []string{"out.txt"}}})
	fs.start(t, "stops", tk3)
	wait(pushing)
	if err := ra.stop(t); err != nil {
		t.Errorf("Run = %v", err)
	}
	if got := fs.deliveries(tk3.Key()); len(got) != 0 {
		t.Errorf("results of an attempt stopped by the shutdown: %+v, want none", got)
	}
}
