package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// eventPoll is how often `rm events -f` asks for new events; tests
// shorten it.
var eventPoll = time.Second

// cmdRMEvents is `shrike rm events`.
func cmdRMEvents(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "rm events", "[--after N] [-f] [--json]",
		"Print node events (registered, state, locked, unlocked, draining,\n"+
			"undrained, removed), oldest first. With -f, keep polling every second and\n"+
			"print new events until interrupted; with -f --json, one JSON event per line.",
		"shrike rm events --after 120 -f")
	server := serverFlag(fs)
	after := fs.Int64("after", 0, "only events with a sequence number (SEQ) above N")
	var follow bool
	fs.BoolVar(&follow, "f", false, "follow: print new events as they happen, until Ctrl-C")
	fs.BoolVar(&follow, "follow", false, "same as -f")
	asJSON := fs.Bool("json", false, "print the events as JSON")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	if *after < 0 {
		return usageErrorf("rm events: --after must not be negative")
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	if follow {
		err = followEvents(ctx, e, c, *after, *asJSON)
		if errors.Is(err, context.Canceled) {
			return nil // Ctrl-C ends a follow
		}
		return err
	}
	list, err := allEvents(ctx, c, *after)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, list)
	}
	tw := newTable(e.stdout, eventHeader...)
	for _, ev := range list.Events {
		row(tw, eventCells(ev)...)
	}
	return tw.Flush()
}

// allEvents reads every event after `after`, page by page.
func allEvents(ctx context.Context, c *api.Client, after int64) (api.RMEventList, error) {
	all := api.RMEventList{Events: []api.NodeEvent{}, Next: after}
	for {
		page, err := c.RMEvents(ctx, all.Next, 0)
		if err != nil {
			return all, err
		}
		all.Events = append(all.Events, page.Events...)
		if len(page.Events) == 0 || page.Next <= all.Next {
			return all, nil
		}
		all.Next = page.Next
	}
}

// followEvents prints the events after `after`, then polls every
// eventPoll for new ones until ctx ends.
func followEvents(ctx context.Context, e *env, c *api.Client, after int64, asJSON bool) error {
	enc := json.NewEncoder(e.stdout)
	if !asJSON {
		fmt.Fprintf(e.stdout, eventLine, toAny(eventHeader)...)
	}
	for {
		page, err := c.RMEvents(ctx, after, 0)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		for _, ev := range page.Events {
			if asJSON {
				err = enc.Encode(ev)
			} else {
				_, err = fmt.Fprintf(e.stdout, eventLine, eventCells(ev)...)
			}
			if err != nil {
				return err
			}
		}
		more := len(page.Events) > 0 && page.Next > after
		if page.Next > after {
			after = page.Next
		}
		if !more && !sleepCtx(ctx, eventPoll) {
			return ctx.Err()
		}
	}
}

// The columns of an event, in tables and (fixed width) when following.
var eventHeader = []string{"SEQ", "TIME", "NODE", "EVENT", "STATE", "FLAGS", "BY", "INFO"}

const eventLine = "%-6v  %-19v  %-16v  %-10v  %-5v  %-15v  %-10v  %v\n"

// eventCells are the cells of one event's row.
func eventCells(ev api.NodeEvent) []any {
	return []any{ev.Seq, fmtTime(&ev.Time), ev.Node, ev.Event, ev.State,
		lockDrainFlags(ev.Locked, ev.Draining), orDash(ev.By), orDash(ev.Info)}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// sleepCtx waits for d; it returns false if ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
