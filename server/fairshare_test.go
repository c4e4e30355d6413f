package server

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// TestFairShareSurvivesRestart: usage charged before a stop is there
// after the restart, decayed from the time it was saved; usage of a queue
// no longer configured is dropped.
func TestFairShareSurvivesRestart(t *testing.T) {
	cfg := TestConfig(filepath.Join(t.TempDir(), "server"))
	cfg.Queues = []QueueConfig{{Name: "short"}}
	cfg.FairShareHalfLife = time.Hour
	srv, stop := runServer(t, cfg)
	at := time.Now()
	srv.mu.Lock()
	srv.fair.Charge("short", "ann", 3600, at)
	srv.fair.Charge(api.DefaultQueue, "bob", 100, at)
	srv.mu.Unlock()
	stop() // saves at stop
	if _, err := os.Stat(filepath.Join(cfg.DataDir, FairShareFile)); err != nil {
		t.Fatalf("no fair-share file after the stop: %v", err)
	}

	cfg.Queues = nil // short is gone
	srv, _ = runServer(t, cfg)
	srv.mu.Lock()
	now := srv.now()
	ann, bob := srv.fair.Usage("short", "ann", now), srv.fair.Usage(api.DefaultQueue, "bob", now)
	srv.mu.Unlock()
	want := 100 * math.Exp2(-now.Sub(at).Hours())
	if ann != 0 || math.Abs(bob-want) > 0.01 {
		t.Errorf("after the restart: ann %.3f (queue gone: want 0), bob %.3f (want %.3f)", ann, bob, want)
	}
	st, err := srv.SchedulerStats(context.Background(), rest.Principal{Name: "root", Role: api.RoleAdmin}, "bob")
	if err != nil || math.Abs(st.User.Usage[api.DefaultQueue]-want) > 0.01 {
		t.Errorf("bob's stats: %+v, %v", st.User, err)
	}
}

func TestFairShareFileErrors(t *testing.T) {
	cfg := TestConfig(filepath.Join(t.TempDir(), "server"))
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.DataDir, FairShareFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if srv, err := New(cfg); err == nil {
		srv.closeAll()
		t.Fatal("a broken fair-share file was accepted")
	}
}
