package dataspace

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/shrike-grid/shrike/api"
)

// ErrOffset reports a resumed upload whose offset is not the size of the
// partial upload the server holds (ask again with the HEAD query).
var ErrOffset = errors.New("dataspace: upload offset does not match the partial upload")

// codeOf is the API code each sentinel maps to.
func codeOf(sentinel error) api.Code {
	switch sentinel {
	case ErrBadPath:
		return api.CodeBadRequest
	case ErrNotFound:
		return api.CodeNotFound
	case ErrQuota:
		return api.CodeQuota
	case ErrChecksum:
		return api.CodeChecksum
	case ErrExists, ErrOffset:
		return api.CodeConflict
	}
	return api.CodeInternal
}

// spaceError is an error that is both one of the package's sentinels
// (errors.Is) and an *api.Error with its code (errors.As), so the REST
// layer answers it without knowing this package.
type spaceError struct {
	sentinel error
	api      *api.Error
}

func (e *spaceError) Error() string   { return e.api.Message }
func (e *spaceError) Unwrap() []error { return []error{e.sentinel, e.api} }

// fail builds an error that wraps sentinel and carries a message for the
// API caller.
func fail(sentinel error, format string, args ...any) error {
	return &spaceError{sentinel: sentinel, api: api.Errorf(codeOf(sentinel), format, args...)}
}

// statusOf maps an error to the HTTP status and body ServeHTTPFile sends.
func statusOf(err error) (int, *api.Error) {
	var e *api.Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError, api.Errorf(api.CodeInternal, "internal error")
	}
	switch e.Code {
	case api.CodeBadRequest, api.CodeInvalid:
		return http.StatusBadRequest, e
	case api.CodeUnauthorized:
		return http.StatusUnauthorized, e
	case api.CodeNotFound:
		return http.StatusNotFound, e
	case api.CodeForbidden:
		return http.StatusForbidden, e
	case api.CodeConflict:
		return http.StatusConflict, e
	case api.CodeQuota:
		return http.StatusRequestEntityTooLarge, e
	case api.CodeChecksum:
		return http.StatusUnprocessableEntity, e
	}
	return http.StatusInternalServerError, api.Errorf(api.CodeInternal, "internal error")
}

// badRequest builds an api.CodeBadRequest error for a malformed request
// field (header, query parameter, option).
func badRequest(format string, args ...any) error {
	return api.Errorf(api.CodeBadRequest, format, args...)
}

// wrapf wraps err with context, keeping it matchable with errors.Is/As.
func wrapf(err error, format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, err)...)
}
