package rest_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestErrorCodeMapping(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   api.Code
	}{
		{api.Errorf(api.CodeBadRequest, "bad"), http.StatusBadRequest, api.CodeBadRequest},
		{api.Invalid([]api.FieldError{{Field: "x", Message: "bad"}}), http.StatusBadRequest, api.CodeInvalid},
		{api.Errorf(api.CodeUnauthorized, "who?"), http.StatusUnauthorized, api.CodeUnauthorized},
		{api.Errorf(api.CodeBadToken, "spent"), http.StatusUnauthorized, api.CodeBadToken},
		{api.Errorf(api.CodeForbidden, "no"), http.StatusForbidden, api.CodeForbidden},
		{api.Errorf(api.CodeNotFound, "gone"), http.StatusNotFound, api.CodeNotFound},
		{api.Errorf(api.CodeConflict, "clash"), http.StatusConflict, api.CodeConflict},
		{api.Errorf(api.CodeQuota, "full"), http.StatusRequestEntityTooLarge, api.CodeQuota},
		{api.Errorf(api.CodeChecksum, "torn"), http.StatusUnprocessableEntity, api.CodeChecksum},
		{api.Errorf(api.CodeUnavailable, "later"), http.StatusServiceUnavailable, api.CodeUnavailable},
		{api.Errorf(api.CodeInternal, "oops"), http.StatusInternalServerError, api.CodeInternal},
		{fmt.Errorf("wrapped: %w", api.Errorf(api.CodeConflict, "clash")), http.StatusConflict, api.CodeConflict},
		{api.Errorf("teapot", "new code"), http.StatusInternalServerError, api.CodeInternal},
		{errors.New("disk on fire at /var/lib/shrike"), http.StatusInternalServerError, api.CodeInternal},
	}
	h := newHarness(t, rest.Options{})
	for _, tc := range tests {
		t.Run(tc.err.Error(), func(t *testing.T) {
			h.fake.FailWith(tc.err)
			defer h.fake.FailWith(nil)
			e := wantError(t, h.do("GET", "/api/v1/nodes", h.alice, "", ""), tc.status, tc.code)
			if tc.status == http.StatusInternalServerError && strings.Contains(e.Message, "fire") {
				t.Errorf("500 leaks the Go error: %q", e.Message)
			}
		})
	}
}
