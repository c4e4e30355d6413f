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

// submitJob answers POST /api/v1/jobs?var=K=V: it parses and validates the
// whole document, applies variable overrides, and reports every problem at
// once (400) or stores the job (201).
func (s *server) submitJob(c *gin.Context) {
	data, err := readBody(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		s.abort(c, badRequest("empty job document"))
		return
	}
	if !yamlContentTypes[c.ContentType()] && !json.Valid(data) {
		s.abort(c, badRequest("job document is not valid JSON: %v "+
			"(send YAML with Content-Type: application/yaml)", jsonSyntaxError(data)))
		return
	}
	spec, errs := jobspec.Parse(data)
	vars, varErrs := queryVars(c)
	errs = append(errs, varErrs...)
	if len(errs) == 0 && len(vars) > 0 {
		errs = jobspec.ApplyVariables(&spec, vars)
	}
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	resp, err := s.b.SubmitJob(c.Request.Context(), principal(c), spec)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusCreated, resp)
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
