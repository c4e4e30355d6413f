package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// OwnerSource tells what the person at a workstation is doing, for the
// heartbeats' Owner field (the workstation policy suspends or releases the
// node when its owner comes back). Read is called once per heartbeat,
// from one goroutine, with the heartbeat's time.
type OwnerSource interface {
	Read(now time.Time) (api.OwnerReading, error)
}

// OwnerFile is an OwnerSource that reads the file Path at every heartbeat:
// one JSON api.OwnerReading, such as {"input_idle":"10m","load":0.2}. It
// lets a site's own idle detector, or a test, drive the readings
// (--owner-file).
type OwnerFile struct {
	Path string
}

var _ OwnerSource = OwnerFile{}

// Read reads and checks the file.
func (f OwnerFile) Read(time.Time) (api.OwnerReading, error) {
	var r api.OwnerReading
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return r, fmt.Errorf("owner file: %w", err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("owner file %s: want {\"input_idle\": \"10m\", \"load\": 0.2}: %w", f.Path, err)
	}
	var errs []error
	if r.InputIdle < 0 {
		errs = append(errs, fmt.Errorf("input_idle: must not be negative (got %s)", time.Duration(r.InputIdle)))
	}
	if r.Load < 0 {
		errs = append(errs, fmt.Errorf("load: must not be negative (got %g)", r.Load))
	}
	if err := errors.Join(errs...); err != nil {
		return r, fmt.Errorf("owner file %s: %w", f.Path, err)
	}
	return r, nil
}

// taskCounter is implemented by owner sources that subtract the grid's
// own load: New hands them the agent's count of attempts using CPU.
type taskCounter interface {
	bindTasks(count func() int)
}

// readOwner reads the owner source for a heartbeat: nil when the agent
// does not watch its owner or the reading failed. A failure is logged as a
// warning when it differs from the previous one, else at debug level.
func (a *Agent) readOwner(now time.Time) *api.OwnerReading {
	if a.cfg.OwnerSource == nil {
		return nil
	}
	r, err := a.cfg.OwnerSource.Read(now)
	if err != nil {
		if msg := err.Error(); msg != a.ownerErr {
			a.log.Warn("cannot read the owner's activity", "err", err)
			a.ownerErr = msg
		} else {
			a.log.Debug("cannot read the owner's activity", "err", err)
		}
		return nil
	}
	a.ownerErr = ""
	return &r
}
