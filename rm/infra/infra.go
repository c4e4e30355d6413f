// Package infra holds the infrastructures of node sources: how a source's
// node agents are started and stopped. An infrastructure knows nothing of
// scheduling or policies: the server asks it to deploy a named node with
// that node's own credentials, to release one, and, periodically, which
// of the nodes it deployed are gone (LOST).
//
// Kinds: enroll (nodes join by themselves; deploys nothing), local (agent
// processes on the server's host), ssh (agents started on hosts over SSH)
// and slurm (agents submitted as Slurm batch jobs). Kubernetes nodes use
// enroll with the manifests under deploy/kubernetes.
package infra

import (
	"context"
	"log/slog"

	"github.com/shrike-grid/shrike/api"
)

// Kind is one kind of infrastructure: its name, what it does, its
// parameters and how to build it from them.
type Kind struct {
	Name    string
	Summary string
	Params  []api.Param
	// New validates params (reporting every problem, each on the field
	// "params.<name>") and builds the infrastructure. It must not touch
	// the network: deploying does.
	New func(params map[string]string, env Env) (Infrastructure, []api.FieldError)
}

// Env is what the server gives an infrastructure.
type Env struct {
	// Source is the node source's name.
	Source string
	// DataDir is a directory on the server's host that belongs to this
	// source (work directories of local nodes, generated scripts).
	DataDir string
	// AgentPath is the shrike binary on the server's host (os.Executable
	// of the server, or the server's agent_binary setting).
	AgentPath string
	Logger    *slog.Logger
	// Notify asks the server to call Check soon (an infrastructure calls
	// it when it learns that a node ended, from any goroutine).
	Notify func()
}

// Node is one node to deploy: its name and the credentials it must use.
// The infrastructure writes Credentials as JSON, mode 0600, to the node's
// credentials file and starts `shrike node --credentials FILE ...`.
type Node struct {
	Name        string
	Credentials api.NodeCredentials
}

// Deployed is a node an infrastructure deployed, with the handle Deploy
// returned (kept in the store, so it survives server restarts).
type Deployed struct {
	Name   string
	Handle string
}

// Infrastructure starts and stops the agents of one node source. Its
// methods may be called from several goroutines at once.
type Infrastructure interface {
	// Capacity is the most nodes it can provide (hosts listed); 0 means
	// no fixed limit.
	Capacity() int
	// Deploy starts the agent of one node and returns a handle to find it
	// again (a PID, "host/pid", a Slurm job ID). An error means the
	// deployment failed (the node becomes LOST).
	Deploy(ctx context.Context, n Node) (handle string, err error)
	// Release stops the agent of a node it deployed. A node already gone
	// is not an error.
	Release(ctx context.Context, d Deployed) error
	// Check returns, among nodes it deployed (perhaps before a server
	// restart), those that are gone, each with the reason.
	Check(ctx context.Context, nodes []Deployed) map[string]string
	// Close stops the infrastructure's own goroutines. It does not stop
	// the nodes: they outlive a server restart.
	Close() error
}
