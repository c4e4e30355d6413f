package api

import (
	"errors"
	"fmt"
)

// Code is a stable error code. Clients switch on codes, never on messages.
type Code string

// The error codes. rest maps each to one HTTP status in one place.
const (
	CodeBadRequest   Code = "bad_request"
	CodeInvalid      Code = "invalid"      // validation failed; see Errors
	CodeUnauthorized Code = "unauthorized" // no or bad credentials
	CodeForbidden    Code = "forbidden"
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict"
	CodeUnavailable  Code = "unavailable"
	CodeInternal     Code = "internal"
	CodeBadToken     Code = "bad_token" // a node's enrollment token was refused
	CodeQuota        Code = "quota"     // a write would pass the owner's space quota
	CodeChecksum     Code = "checksum"  // an upload's sha256 differs from the one declared
)

// Error is the error body of every failed REST call and NATS reply:
// {"code": "...", "message": "...", "errors": [{"field": ..., "message": ...}]}.
type Error struct {
	Code    Code         `json:"code"`
	Message string       `json:"message"`
	Errors  []FieldError `json:"errors,omitempty"`
	// Status is the HTTP status, filled in by the client.
	Status int `json:"-"`
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = string(e.Code)
	}
	for _, fe := range e.Errors {
		msg += "\n  " + fe.String()
	}
	return msg
}

// Errorf builds an *Error with a code.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds the validation error for a list of field problems.
func Invalid(errs []FieldError) *Error {
	msg := "invalid request"
	if len(errs) == 1 {
		msg = "invalid request: 1 problem"
	} else if len(errs) > 1 {
		msg = fmt.Sprintf("invalid request: %d problems", len(errs))
	}
	return &Error{Code: CodeInvalid, Message: msg, Errors: errs}
}

// CodeOf returns the code of err if it wraps an *Error, else CodeInternal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsCode reports whether err wraps an *Error with the given code.
func IsCode(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
