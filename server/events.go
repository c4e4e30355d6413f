package server

import (
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rm"
	"github.com/shrike-grid/shrike/store"
)

// eventsStream is the JetStream stream that keeps published events.
const eventsStream = "EVENTS"

func (c *change) taskEvent(t *taskState, info string) {
	c.events = append(c.events, api.Event{
		Time: time.Now(), Kind: "task", JobID: t.rec.JobID, Task: t.rec.Name,
		Node: t.rec.Node, State: t.rec.State, Info: info,
	})
	c.logTask(t, taskLogLine(t, info))
}

func (c *change) jobEvent(j *jobState) {
	c.events = append(c.events, api.Event{Time: time.Now(), Kind: "job", JobID: j.rec.ID, State: j.rec.State})
}

// nodeEvent records a change of node n (event: registered, came back,
// down, locked, unlocked, draining, undrained, removed) in the RM's history
// and publishes it. Changes between FREE and BUSY are not recorded one by
// one: the RM's samples count them over time.
func (c *change) nodeEvent(n *rm.Node, event, by, info string) {
	now := time.Now()
	c.events = append(c.events, api.Event{Time: now, Kind: "node", Node: n.Name, State: string(n.State), Info: event})
	c.m.NodeEvents = append(c.m.NodeEvents, store.NodeEventRecord{
		Time: now, Node: n.Name, State: string(n.State), Locked: n.Lock != nil, Draining: n.Draining,
		Event: event, By: by, Info: info,
	})
}

func storeJobState(j *jobState) store.JobStateUpdate {
	return store.JobStateUpdate{ID: j.rec.ID, State: j.rec.State, FinishedAt: j.rec.FinishedAt}
}

// setupEvents creates the JetStream stream that keeps a week of events, so
// that clients can catch up on what they missed. Failure only loses the
// history, so it is logged, not fatal.
func (s *Server) setupEvents() {
	js, err := s.nc.JetStream()
	if err == nil {
		_, err = js.AddStream(&nats.StreamConfig{
			Name: eventsStream, Subjects: []string{api.SubjectEvents + ".>"},
			Storage: nats.FileStorage, MaxAge: 7 * 24 * time.Hour, Discard: nats.DiscardOld,
		})
	}
	if err != nil {
		s.log.Warn("events stream unavailable", "err", err)
	}
}

// publishEvents sends events on shrike.events.<kind> (core NATS: the
// stream stores them; a publish failure never blocks state changes).
func (s *Server) publishEvents(events []api.Event) {
	for _, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			continue
		}
		_ = s.nc.Publish(api.SubjectEvents+"."+e.Kind, data)
	}
}
