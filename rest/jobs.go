package rest

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// jobStates are the states GET /jobs accepts in its state filter.
var jobStates = []api.JobState{api.JobPending, api.JobRunning, api.JobPaused, api.JobFinished, api.JobFailed, api.JobKilled}

// listJobs answers GET /api/v1/jobs?state=&owner=&parent=&offset=&limit=.
func (s *server) listJobs(c *gin.Context) {
	q, errs := jobQuery(c)
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	list, err := s.b.ListJobs(c.Request.Context(), principal(c), q)
	if err != nil {
		s.abort(c, err)
		return
	}
	if list.Jobs == nil {
		list.Jobs = []api.Job{}
	}
	c.JSON(http.StatusOK, list)
}

// jobQuery reads the filters of GET /jobs. States may repeat
// (state=A&state=B) or be comma-separated (state=A,B), in any case.
func jobQuery(c *gin.Context) (JobQuery, []api.FieldError) {
	var (
		q    JobQuery
		errs []api.FieldError
	)
	for _, part := range queryList(c, "state") {
		st, ok := parseJobState(part)
		if !ok {
			errs = append(errs, api.FieldError{Field: "state",
				Message: "unknown job state " + strings.ToUpper(part) + ": want one of " + stateNames()})
			continue
		}
		q.States = append(q.States, st)
	}
	q.Owner = c.Query("owner")
	if parent := queryInt(c, "parent", 0, &errs); parent < 0 {
		errs = append(errs, api.FieldError{Field: "parent", Message: "must be a job id"})
	} else {
		q.Parent = int64(parent)
	}
	q.Offset = queryInt(c, "offset", 0, &errs)
	q.Limit = queryInt(c, "limit", 0, &errs)
	return q, errs
}

// parseJobState reads a job state name, case-insensitively.
func parseJobState(s string) (api.JobState, bool) {
	for _, st := range jobStates {
		if strings.EqualFold(s, string(st)) {
			return st, true
		}
	}
	return "", false
}

// stateNames lists the job states for error messages.
func stateNames() string {
	names := make([]string, len(jobStates))
	for i, st := range jobStates {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}

// getJob answers GET /api/v1/jobs/:id.
func (s *server) getJob(c *gin.Context) {
	id, err := jobID(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	job, err := s.b.GetJob(c.Request.Context(), principal(c), id)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, job)
}

// getJobSpec answers GET /api/v1/jobs/:id/spec with the stored document.
func (s *server) getJobSpec(c *gin.Context) {
	id, err := jobID(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	spec, err := s.b.GetJobSpec(c.Request.Context(), principal(c), id)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, spec)
}

// killJob answers DELETE /api/v1/jobs/:id: it kills the job and returns
// the job as it is after the kill.
func (s *server) killJob(c *gin.Context) {
	id, err := jobID(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	ctx, p := c.Request.Context(), principal(c)
	if err = s.b.KillJob(ctx, p, id); err != nil {
		s.abort(c, err)
		return
	}
	job, err := s.b.GetJob(ctx, p, id)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, job)
}
