package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/scheduler"
)

// FairShareFile is the file in the data dir that keeps recent fair-share
// usage across restarts. It is written every fairShareSaveInterval and
// when the server stops, so a crash loses at most that much usage.
const FairShareFile = "fair-share"

const (
	fairShareSaveInterval = time.Minute
	// fairShareForget is the usage (CPU-seconds) below which an entry is
	// dropped when the file is written: a user long gone.
	fairShareForget = 0.001
)

// fairShareState is the file's content: each user's decayed usage per
// queue at SavedAt. A queue's usage is the sum of its users'.
type fairShareState struct {
	SavedAt  time.Time        `json:"saved_at"`
	HalfLife string           `json:"half_life"`
	Usage    []fairShareEntry `json:"usage"`
}

type fairShareEntry struct {
	Queue      string  `json:"queue"`
	User       string  `json:"user"`
	CPUSeconds float64 `json:"cpu_seconds"`
}

// loadFairShare restores the usage saved by the last run: each entry is
// charged again at the time it was saved, so it goes on decaying from
// there. Usage in queues no longer configured is dropped. No file: no
// usage.
func (s *Server) loadFairShare() error {
	s.fair = scheduler.NewFairShare(s.cfg.FairShareHalfLife)
	path := filepath.Join(s.cfg.DataDir, FairShareFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fair share: %w", err)
	}
	var st fairShareState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("fair share %s: %w (remove the file to start from no usage)", path, err)
	}
	for _, e := range st.Usage {
		if s.queueError(e.Queue) == nil {
			s.fair.Charge(e.Queue, e.User, e.CPUSeconds, st.SavedAt)
		}
	}
	return nil
}

// fairShareState is the usage now, for the file. Called with s.mu held.
func (s *Server) fairShareState(now time.Time) fairShareState {
	st := fairShareState{SavedAt: now, HalfLife: s.fair.HalfLife().String()}
	s.fair.Prune(now, fairShareForget)
	for _, q := range s.queues {
		for user, u := range s.fair.UserUsage(q.Name, now) {
			st.Usage = append(st.Usage, fairShareEntry{Queue: q.Name, User: user, CPUSeconds: u})
		}
	}
	slices.SortFunc(st.Usage, func(a, b fairShareEntry) int {
		if c := strings.Compare(a.Queue, b.Queue); c != 0 {
			return c
		}
		return strings.Compare(a.User, b.User)
	})
	return st
}

// saveFairShare writes the usage now, atomically (a synced temporary
// file renamed over the old one).
func (s *Server) saveFairShare() error {
	s.mu.Lock()
	st := s.fairShareState(s.now())
	s.mu.Unlock()
	data, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return fmt.Errorf("encode fair share: %w", err)
	}
	if err := s.writeDataFile(FairShareFile, data); err != nil {
		return fmt.Errorf("fair share: %w", err)
	}
	return nil
}

// fairShareLoop saves the usage every fairShareSaveInterval, and once
// more when the server stops.
func (s *Server) fairShareLoop(ctx context.Context) error {
	t := time.NewTicker(fairShareSaveInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := s.saveFairShare(); err != nil {
				s.log.Warn("saving fair-share usage at stop", "err", err)
			}
			return nil
		case <-t.C:
		}
		if err := s.saveFairShare(); err != nil {
			s.log.Warn("saving fair-share usage", "err", err)
		}
	}
}
