package store

import (
	"context"
	"fmt"
	"slices"
)

// upsertBatch is how many rows one multi-row INSERT … ON CONFLICT carries.
// 14 task columns × 250 rows stays far below SQLite's 32,766 and
// PostgreSQL's 65,535 bind parameters; on BenchmarkApply 250 beat both 100
// and 1,000.
const upsertBatch = 250

// Apply commits all mutations in one transaction, in order: a later write of
// the same row wins. A JobStates entry for a job that is neither in the store
// nor upserted by muts fails the whole call with an error wrapping ErrNotFound.
//
// Rows are merged before they are written, so a batch of many small
// mutations costs a few multi-row statements rather than one statement per
// row; see merged. The statements are plain database/sql, prepared once on
// the writer pool (write.go).
func (s *sqlStore) Apply(ctx context.Context, muts ...Mutation) error {
	var m merged
	for i := range muts {
		m.add(&muts[i])
	}
	if m.empty() {
		return nil
	}
	if err := s.wr.apply(ctx, &m); err != nil {
		return fmt.Errorf("store: apply: %w", err)
	}
	return nil
}

// merged is a sequence of mutations folded into one write per row, with the
// same final state as applying them one after the other:
//
//   - an upsert replaces an earlier upsert of the same key in place (the row
//     keeps its first position, which only matters for the order of
//     statements);
//   - a job state change on a job upserted earlier in the sequence is folded
//     into that row; one on another job is kept (last wins) and written as an
//     UPDATE after the upserts;
//   - a job upsert drops any earlier pending state change of that job, since
//     it overwrites the whole row.
//
// Folding also keeps PostgreSQL happy, which refuses an INSERT … ON CONFLICT
// DO UPDATE that touches one row twice.
//
// Writes go out as nodes, jobs, job states, tasks: jobs before tasks for the
// foreign key, and the state updates touch only jobs not upserted here, so
// their order relative to the upserts does not matter. Then the RM's rows
// (node deletions, events, samples), and last users, node sources, tokens
// and credentials, each table's upserts before its deletions (keyed).
type merged struct {
	jobs      []jobModel
	jobAt     map[int64]int
	states    []stateUpdate
	stateAt   map[int64]int
	tasks     []taskModel
	taskAt    map[int64]int
	nodes     keyed[string, nodeModel]
	liveState int // states entries not superseded by a later job upsert

	events  []NodeEventRecord
	samples []RMSampleRecord

	users   []userModel
	userAt  map[string]int
	sources keyed[string, sourceModel]
	tokens  keyed[string, enrollTokenModel]
	creds   keyed[string, credentialModel]

	res mergedResults
}

// stateUpdate is a pending JobStateUpdate; superseded marks one that a later
// upsert of the same job made moot.
type stateUpdate struct {
	JobStateUpdate
	superseded bool
}

func (m *merged) empty() bool {
	return len(m.jobs) == 0 && m.liveState == 0 && len(m.tasks) == 0 && m.nodes.empty() &&
		len(m.events) == 0 && len(m.samples) == 0 &&
		len(m.users) == 0 && m.sources.empty() && m.tokens.empty() && m.creds.empty() && m.res.empty()
}

func (m *merged) add(mu *Mutation) {
	for _, n := range mu.Nodes {
		m.nodes.upsert(n.Name, nodeToModel(n))
	}
	for _, j := range mu.Jobs {
		if i, ok := m.stateAt[j.ID]; ok {
			m.states[i].superseded = true // the upsert writes the whole row
			m.liveState--
			delete(m.stateAt, j.ID)
		}
		m.jobs = upsertByKey(m.jobs, &m.jobAt, j.ID, jobToModel(j))
	}
	for _, u := range mu.JobStates {
		if i, ok := m.jobAt[u.ID]; ok {
			m.jobs[i].State = u.State
			m.jobs[i].FinishedAt = utcPtr(u.FinishedAt)
			continue
		}
		u.FinishedAt = utcPtr(u.FinishedAt)
		if _, ok := m.stateAt[u.ID]; !ok {
			m.liveState++
		}
		m.states = upsertByKey(m.states, &m.stateAt, u.ID, stateUpdate{JobStateUpdate: u})
	}
	for _, t := range mu.Tasks {
		m.tasks = upsertByKey(m.tasks, &m.taskAt, t.ID, taskToModel(t))
	}
	for _, name := range mu.DeleteNodes {
		m.nodes.delete(name)
	}
	m.events = append(m.events, mu.NodeEvents...)
	m.samples = append(m.samples, mu.Samples...)
	m.addSources(mu)
	m.res.add(mu)
}

// addSources merges users, node sources, enrollment tokens and credentials.
func (m *merged) addSources(mu *Mutation) {
	for _, u := range mu.Users {
		m.users = upsertByKey(m.users, &m.userAt, u.Name, userToModel(u))
	}
	for _, r := range mu.Sources {
		m.sources.upsert(r.Name, sourceToModel(r))
	}
	for _, name := range mu.DeleteSources {
		m.sources.delete(name)
	}
	for _, r := range mu.EnrollTokens {
		m.tokens.upsert(r.ID, enrollTokenToModel(r))
	}
	for _, id := range mu.DeleteEnrollTokens {
		m.tokens.delete(id)
	}
	for _, r := range mu.Credentials {
		m.creds.upsert(r.Node, credentialToModel(r))
	}
	for _, node := range mu.DeleteCredentials {
		m.creds.delete(node)
	}
}

// keyed is the merged upserts and deletions of one table whose rows are
// written whole and deleted by key. The rows are upserted before the
// deletions are issued, so:
//
//   - an upsert replaces an earlier upsert of the same key and cancels an
//     earlier deletion of it (the row is back);
//   - a deletion drops an earlier upsert of the key, and is issued (for the
//     row as stored before this Apply).
type keyed[K comparable, V any] struct {
	rows    []V
	at      map[K]int
	deletes []K
}

func (k *keyed[K, V]) upsert(key K, v V) {
	k.rows = upsertByKey(k.rows, &k.at, key, v)
	k.deletes = slices.DeleteFunc(k.deletes, func(d K) bool { return d == key })
}

func (k *keyed[K, V]) delete(key K) {
	if i, ok := k.at[key]; ok {
		k.rows = slices.Delete(k.rows, i, i+1)
		delete(k.at, key)
		for other, j := range k.at {
			if j > i {
				k.at[other] = j - 1
			}
		}
	}
	k.deletes = append(k.deletes, key)
}

func (k *keyed[K, V]) empty() bool { return len(k.rows) == 0 && len(k.deletes) == 0 }

// upsertByKey appends v to rows, or replaces the row already stored under
// key; at maps keys to positions and is created on first use.
func upsertByKey[K comparable, V any](rows []V, at *map[K]int, key K, v V) []V {
	if *at == nil {
		*at = make(map[K]int)
	}
	if i, ok := (*at)[key]; ok {
		rows[i] = v
		return rows
	}
	(*at)[key] = len(rows)
	return append(rows, v)
}

// chunkSize is the size of the next chunk of n rows: upsertBatch, or the
// largest power of two not above n. Rows go in chunks of upsertBatch, then
// of descending powers of two, so that only a handful of distinct statements
// exist per table (9) and the prepared statements (sqlWriter) serve every
// write; a statement per batch size would mean preparing one anew on almost
// every transaction.
func chunkSize(n int) int {
	if n >= upsertBatch {
		return upsertBatch
	}
	p := 1
	for p*2 <= n {
		p *= 2
	}
	return p
}
