package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/jobspec"
)

// yamlContentTypes are the Content-Types that mark a YAML job document;
// any other is read as JSON.
var yamlContentTypes = map[string]bool{
	"application/yaml":   true,
	"application/x-yaml": true,
	"text/yaml":          true,
}

// submitJob answers POST /api/v1/jobs?var=K=V&queue=Q&after=&start_at=&dry_run=:
// it parses and validates the whole document, applies variable, queue,
// after and start_at overrides, and reports every problem at once (400) or
// stores the job (201). With dry_run=true
// nothing is stored: the answer (200) says which nodes could run each
// task and why the others cannot.
func (s *server) submitJob(c *gin.Context) {
	var errs []api.FieldError
	dryRun := queryBool(c, "dry_run", &errs)
	spec, err := jobDocument(c, errs)
	if err != nil {
		s.abort(c, err)
		return
	}
	ctx, p := c.Request.Context(), principal(c)
	if dryRun {
		explain, err := s.b.DryRunJob(ctx, p, spec)
		if err != nil {
			s.abort(c, err)
			return
		}
		if explain.Tasks == nil {
			explain.Tasks = []api.TaskExplain{}
		}
		c.JSON(http.StatusOK, explain)
		return
	}
	resp, err := s.b.SubmitJob(ctx, p, spec)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusCreated, resp)
}

// jobDocument reads the job document of a submission (YAML or JSON, by
// Content-Type), parses it and applies the var=K=V overrides. Every
// problem, with errs (those of other query parameters), is one
// CodeInvalid error; a body that is empty or not JSON is CodeBadRequest.
func jobDocument(c *gin.Context, errs []api.FieldError) (api.JobSpec, error) {
	data, err := readBody(c)
	if err != nil {
		return api.JobSpec{}, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return api.JobSpec{}, badRequest("empty job document")
	}
	if !yamlContentTypes[c.ContentType()] && !json.Valid(data) {
		return api.JobSpec{}, badRequest("job document is not valid JSON: %v "+
			"(send YAML with Content-Type: application/yaml)", jsonSyntaxError(data))
	}
	spec, parseErrs := jobspec.Parse(data)
	vars, varErrs := queryVars(c)
	after, startAt, holdErrs := queryHolds(c, time.Now())
	errs = append(append(append(errs, parseErrs...), varErrs...), holdErrs...)
	if len(errs) == 0 && len(vars) > 0 {
		errs = jobspec.ApplyVariables(&spec, vars)
	}
	for _, id := range after {
		if !slices.Contains(spec.DependsOnJobs, id) {
			spec.DependsOnJobs = append(spec.DependsOnJobs, id)
		}
	}
	if startAt != nil {
		spec.StartAt = startAt
	}
	if len(errs) > 0 {
		return api.JobSpec{}, api.Invalid(errs)
	}
	if q := c.Query("queue"); q != "" {
		spec.Queue = q // the server refuses a queue it does not have, on the field "queue"
	}
	return spec, nil
}

// queryHolds reads after=12,13 (more depends_on_jobs, repeatable) and
// start_at=TIME (an RFC 3339 time, or +DURATION from now), which the CLI
// sends for --after and --start-at.
func queryHolds(c *gin.Context, now time.Time) ([]int64, *time.Time, []api.FieldError) {
	var (
		after []int64
		errs  []api.FieldError
	)
	for _, part := range queryList(c, "after") {
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil || id < 1 {
			errs = append(errs, api.FieldError{Field: "after", Message: "want job ids like 12,13, got " + strconv.Quote(part)})
			continue
		}
		after = append(after, id)
	}
	raw := strings.TrimSpace(c.Query("start_at"))
	if raw == "" {
		return after, nil, errs
	}
	at, err := parseStartAt(raw, now)
	if err != nil {
		return after, nil, append(errs, api.FieldError{Field: "start_at", Message: err.Error()})
	}
	return after, &at, errs
}

// parseStartAt reads a start time: RFC 3339 ("2026-11-22T08:00:00Z") or
// a duration from now ("+10m", "+1h30m"). The result is in UTC.
func parseStartAt(s string, now time.Time) (time.Time, error) {
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("want a time like 2026-11-22T08:00:00Z or a delay like +10m, got %q", s)
		}
		return now.Add(d).UTC().Round(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want a time like 2026-11-22T08:00:00Z or a delay like +10m, got %q", s)
	}
	return t.UTC(), nil
}

// jsonSyntaxError explains why data is not JSON.
func jsonSyntaxError(data []byte) error {
	var v json.RawMessage
	return json.Unmarshal(data, &v)
}

// queryVars reads the repeatable var=K=V query parameter; a later value of
// the same key wins.
func queryVars(c *gin.Context) (map[string]string, []api.FieldError) {
	raw := c.QueryArray("var")
	if len(raw) == 0 {
		return nil, nil
	}
	vars := make(map[string]string, len(raw))
	var errs []api.FieldError
	for _, kv := range raw {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			errs = append(errs, api.FieldError{Field: "var",
				Message: "want NAME=VALUE, got " + strconv.Quote(kv)})
			continue
		}
		vars[strings.TrimSpace(k)] = v
	}
	return vars, errs
}
