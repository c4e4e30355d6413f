package server

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
)

// TestSharedSpacesCopyDirectly: a node that sees the spaces on a shared
// file system copies a task's files there directly. The server's
// advertised URL reaches nothing, so any HTTP transfer would fail.
func TestSharedSpacesCopyDirectly(t *testing.T) {
	dir := t.TempDir()
	cfg := TestConfig(filepath.Join(dir, "server"))
	cfg.AdvertiseURL = "http://127.0.0.1:1"
	srv, _ := runServer(t, cfg)
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	user, _, err := srv.Space(ctx, admin, api.SpaceUser)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := user.Put(ctx, "in/data.txt", strings.NewReader("41\n"), dataspace.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	spaces := filepath.Join(cfg.DataDir, "spaces")
	startNodeWith(t, srv, "shared", func(c *node.Config) {
		c.SharedSpaces = map[string]string{api.SharedSpaceJobs: filepath.Join(spaces, "jobs"), "user:admin": filepath.Join(spaces, "users", "admin")}
	})
	waitReady(t, srv, "shared")
	events, err := srv.nc.SubscribeSync(api.SubjectEvents + ".>")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.SubmitJob(ctx, admin, api.JobSpec{Name: "shared", Tasks: []api.TaskSpec{{
		Name: "t", Script: "echo $(( $(cat in/data.txt) + 1 )) > answer.txt", Resources: api.Resources{CPU: 1}, MaxAttempts: 1,
		InputFiles:  []api.FileTransfer{{From: api.SpaceUser, Include: []string{"in/*.txt"}}},
		OutputFiles: []api.FileTransfer{{To: api.SpaceOutput, Include: []string{"answer.txt"}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	job := waitJobDone(t, srv, admin, resp.ID)
	if job.State != api.JobFinished {
		t.Fatalf("job %+v", job)
	}
	got, err := os.ReadFile(filepath.Join(spaces, "jobs", jobID(resp.ID), "output", "answer.txt"))
	if err != nil || !bytes.Equal(got, []byte("42\n")) {
		t.Fatalf("answer.txt = %q (%v)", got, err)
	}
	// The transfers are in the task's events.
	want := "files: input_files[0]: 1 file from user; output_files[0]: 1 file to output"
	for {
		msg, err := events.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("no event %q", want)
		}
		var ev api.Event
		if json.Unmarshal(msg.Data, &ev) == nil && ev.Kind == "task" && ev.Info == want {
			break
		}
	}
}

func jobID(id int64) string { return strconv.FormatInt(id, 10) }

func TestTransferTokens(t *testing.T) {
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	ctx := context.Background()
	tok := srv.transferToken(capability{jobID: 7, taskID: 70, attempt: 1, write: capWriteUser})
	c, err := srv.parseCapability(tok)
	if err != nil || c.jobID != 7 || c.taskID != 70 || c.attempt != 1 || c.write != capWriteUser {
		t.Fatalf("round trip: %+v %v", c, err)
	}
	forged := []byte(tok)
	forged[3] ^= 1
	if _, err := srv.parseCapability(string(forged)); !api.IsCode(err, api.CodeUnauthorized) {
		t.Fatalf("a forged token: %v", err)
	}
	// A well-signed token of an attempt that is not running opens nothing.
	if _, _, err := srv.TransferSpace(ctx, tok, api.SpaceOutput); !api.IsCode(err, api.CodeUnauthorized) {
		t.Fatalf("a token of no running attempt: %v", err)
	}
	if _, _, err := srv.TransferSpace(ctx, "nonsense", api.SpaceInput); !api.IsCode(err, api.CodeUnauthorized) {
		t.Fatalf("garbage: %v", err)
	}
}

// TestJobSpacesPointingAtFolders: a job may point its output space at a
// folder of the owner's user space (its tasks push there over HTTP), but a
// user may not point it at the global space.
func TestJobSpacesPointingAtFolders(t *testing.T) {
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	if _, err := srv.CreateUser(ctx, admin, api.CreateUserRequest{Name: "u", Password: "password1"}); err != nil {
		t.Fatal(err)
	}
	user := rest.Principal{Name: "u", Role: api.RoleUser}
	startNodeWith(t, srv, "n", func(*node.Config) {})
	waitReady(t, srv, "n")
	task := api.TaskSpec{Name: "t", Script: "echo hi > out.txt", Resources: api.Resources{CPU: 1}, MaxAttempts: 1,
		OutputFiles: []api.FileTransfer{{To: api.SpaceOutput, Include: []string{"out.txt"}}}}
	if _, err := srv.SubmitJob(ctx, user, api.JobSpec{Name: "g", OutputSpace: "global:shared", Tasks: []api.TaskSpec{task}}); !api.IsCode(err, api.CodeInvalid) {
		t.Fatalf("a user's job writing the global space: %v", err)
	}
	if _, w, _ := srv.Space(ctx, user, api.SpaceGlobal); w {
		t.Fatal("a user may write the global space")
	}
	srv.cfg.GlobalWriters = []string{"user:u"}
	if _, w, _ := srv.Space(ctx, user, api.SpaceGlobal); !w {
		t.Fatal("a global writer may not write the global space")
	}
	srv.cfg.GlobalWriters = nil
	resp, err := srv.SubmitJob(ctx, user, api.JobSpec{Name: "u", OutputSpace: "user:results/run1", Tasks: []api.TaskSpec{task}})
	if err != nil {
		t.Fatal(err)
	}
	if job := waitJobDone(t, srv, user, resp.ID); job.State != api.JobFinished {
		t.Fatalf("job %+v", job)
	}
	us, _, err := srv.Space(ctx, user, api.SpaceUser)
	if err != nil {
		t.Fatal(err)
	}
	f, err := us.Open("results/run1/out.txt")
	if err != nil {
		t.Fatalf("the output did not land in the user's folder: %v", err)
	}
	f.Close()
	out, err := srv.JobSpace(ctx, user, resp.ID, api.SpaceOutput)
	if err != nil {
		t.Fatal(err)
	}
	if entries, err := out.List(""); err != nil || len(entries) != 1 || entries[0].Path != "out.txt" {
		t.Fatalf("the job's output space lists %+v (%v)", entries, err)
	}
}
