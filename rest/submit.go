package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

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

// submitJob answers POST /api/v1/jobs?var=K=V&queue=Q&dry_run=: it parses
// and validates the whole document, applies variable and queue overrides,
// and reports every problem at once (400) or stores the job (201). With
// dry_run=true
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
	errs = append(append(errs, parseErrs...), varErrs...)
	if len(errs) == 0 && len(vars) > 0 {
		errs = jobspec.ApplyVariables(&spec, vars)
	}
	if len(errs) > 0 {
		return api.JobSpec{}, api.Invalid(errs)
	}
	if q := c.Query("queue"); q != "" {
		spec.Queue = q // the server refuses a queue it does not have, on the field "queue"
	}
	return spec, nil
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
