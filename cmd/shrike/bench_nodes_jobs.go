package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shrike-grid/shrike/api"
)

// jobLoad submits single-task jobs evenly over the window.
type jobLoad struct {
	start time.Time
	mu    sync.Mutex
	ids   []int64
	errs  atomic.Int64
	done  chan struct{}
}

func startJobLoad(ctx context.Context, c *api.Client, k int, window time.Duration) *jobLoad {
	l := &jobLoad{start: time.Now(), done: make(chan struct{})}
	doc := []byte(`{"name":"bench-nodes","tasks":[{"name":"t","command":["/bin/true"]}]}`)
	go func() {
		defer close(l.done)
		var g errgroup.Group
		g.SetLimit(8)
		for i := range k {
			at := l.start.Add(time.Duration(int64(window) * int64(i) / int64(k)))
			if !sleepFor(ctx, time.Until(at)) {
				break
			}
			g.Go(func() error {
				resp, err := c.SubmitJob(ctx, doc, "application/json", nil)
				if err != nil {
					l.errs.Add(1)
					return nil
				}
				l.mu.Lock()
				l.ids = append(l.ids, resp.ID)
				l.mu.Unlock()
				return nil
			})
		}
		_ = g.Wait()
	}()
	return l
}

// finish waits for the submissions and (boundedly) for the jobs to end,
// then counts them and their submit→start latency.
func (l *jobLoad) finish(ctx context.Context, c *api.Client, taskTime time.Duration) *benchNodesJobs {
	<-l.done
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second+2*taskTime)
	_ = waitIdle(wctx, c)
	cancel()
	jobs := make([]api.Job, len(l.ids))
	var g errgroup.Group
	g.SetLimit(8)
	for i, id := range l.ids {
		g.Go(func() error {
			jobs[i], _ = c.GetJob(ctx, id)
			return nil
		})
	}
	_ = g.Wait()
	r := &benchNodesJobs{Submitted: len(l.ids), SubmitErrors: l.errs.Load()}
	for _, j := range jobs {
		if j.State == api.JobFinished {
			r.Finished++
		} else {
			r.NotFinished++
		}
	}
	p := phaseFromJobs(l.start, jobs)
	r.StartP50ms, r.StartP99ms = p.LatencyP50ms, p.LatencyP99ms
	return r
}
