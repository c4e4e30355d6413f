package infra

import (
	"context"
	"errors"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/policies"
)

// ErrSelfEnrolled is Deploy's error on an enroll source: its nodes are
// started by their owners and join with an enrollment token.
var ErrSelfEnrolled = errors.New("nodes of an enroll source join by themselves (`shrike node join`); the server deploys none")

var enrollKind = Kind{
	Name:    "enroll",
	Summary: "Nodes join by themselves with an enrollment token of the source (`shrike node join`); the server deploys none.",
	New: func(params map[string]string, _ Env) (Infrastructure, []api.FieldError) {
		return parse(nil, params, func(*policies.Values) enroll { return enroll{} })
	},
}

// enroll deploys nothing: its nodes join by themselves, and the server
// tells a released one to leave over NATS.
type enroll struct{}

var _ Infrastructure = enroll{}

func (enroll) Capacity() int { return 0 }

func (enroll) Deploy(context.Context, Node) (string, error) { return "", ErrSelfEnrolled }

func (enroll) Release(context.Context, Deployed) error { return nil }

func (enroll) Check(context.Context, []Deployed) map[string]string { return nil }

func (enroll) Close() error { return nil }
