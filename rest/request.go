package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// readBody reads the whole (size-limited) request body.
func readBody(c *gin.Context) ([]byte, error) {
	if c.Request.Body == nil {
		return nil, nil
	}
	data, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		return nil, badRequest("reading request body: %v", err)
	}
	return data, nil
}

// decodeJSON reads the request body as one JSON value into v.
func decodeJSON(c *gin.Context, v any) error {
	data, err := readBody(c)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return badRequest("empty request body: want a JSON object")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return badRequest("request body is not valid JSON: %v", err)
	}
	return nil
}

// decodeOptionalJSON is decodeJSON for a body that may be left out: an
// empty body leaves v as it is.
func decodeOptionalJSON(c *gin.Context, v any) error {
	data, err := readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return badRequest("request body is not valid JSON: %v", err)
	}
	return nil
}

// jobID parses the :id path parameter.
func jobID(c *gin.Context) (int64, error) {
	raw := c.Param("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("invalid job id %q: want a positive integer", raw)
	}
	return id, nil
}

// queryInt reads a non-negative int query parameter; def if absent.
// Problems are appended to errs under the parameter's name.
func queryInt(c *gin.Context, name string, def int, errs *[]api.FieldError) int {
	return int(queryInt64(c, name, int64(def), 31, errs))
}

// queryInt64 reads a non-negative integer of at most bits bits.
func queryInt64(c *gin.Context, name string, def int64, bits int, errs *[]api.FieldError) int64 {
	raw, ok := c.GetQuery(name)
	if !ok || raw == "" {
		return def
	}
	n, err := strconv.ParseInt(raw, 10, bits+1)
	if err != nil || n < 0 {
		*errs = append(*errs, api.FieldError{Field: name,
			Message: "must be a non-negative integer, got " + strconv.Quote(raw)})
		return def
	}
	return n
}

// queryBool reads a boolean query parameter ("true", "1", "false", ...);
// a present but empty value ("?follow") means true.
func queryBool(c *gin.Context, name string, errs *[]api.FieldError) bool {
	raw, ok := c.GetQuery(name)
	if !ok {
		return false
	}
	if raw == "" {
		return true
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		*errs = append(*errs, api.FieldError{Field: name,
			Message: "must be true or false, got " + strconv.Quote(raw)})
	}
	return b
}

// queryList returns the values of a query parameter that may repeat
// (state=A&state=B) or hold a comma-separated list (state=A,B), trimmed,
// without empty ones.
func queryList(c *gin.Context, name string) []string {
	var out []string
	for _, raw := range c.QueryArray(name) {
		for part := range strings.SplitSeq(raw, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}
