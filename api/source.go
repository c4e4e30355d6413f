package api

import "time"

// Node states a node source adds to FREE, BUSY and DOWN.
const (
	// NodeDeploying: the infrastructure was asked for the node and it has
	// not registered yet.
	NodeDeploying NodeState = "DEPLOYING"
	// NodeConfiguring: the node registered and the server is waiting for
	// its first heartbeat (which confirms what it runs) before giving it
	// work.
	NodeConfiguring NodeState = "CONFIGURING"
	// NodeLost: the infrastructure reports the node gone (its process,
	// batch job or host ended) or its deployment failed. Unlike DOWN it
	// does not come back by itself.
	NodeLost NodeState = "LOST"
	// NodeToBeRemoved: the node is being released (by its policy, an
	// undeploy or a removal); it gets no new work and leaves once its
	// running tasks end (at once when preempted).
	NodeToBeRemoved NodeState = "TO_BE_REMOVED"
)

// NodeStates lists every node state in lifecycle order.
var NodeStates = []NodeState{NodeDeploying, NodeConfiguring, NodeFree, NodeBusy, NodeDown, NodeLost, NodeToBeRemoved}

// ParamType is the type of a parameter's value; every value travels as a
// string.
type ParamType string

// The parameter types.
const (
	ParamString    ParamType = "string"
	ParamInt       ParamType = "int"      // "3"
	ParamFloat     ParamType = "float"    // "0.5"
	ParamBool      ParamType = "bool"     // "true", "false"
	ParamDuration  ParamType = "duration" // "30s", "10m", "2h", "1d"
	ParamCron      ParamType = "cron"     // "0 8 * * mon-fri", "@daily"
	ParamTimeOfDay ParamType = "time-of-day"
	ParamList      ParamType = "list" // comma-separated: "mon-fri,sun"
	ParamText      ParamType = "text" // multi-line, like a private key
)

// Param describes one parameter of an infrastructure or a policy: what a
// form or `shrike source create --help` shows.
type Param struct {
	Name     string    `json:"name"`
	Type     ParamType `json:"type"`
	Default  string    `json:"default,omitempty"`
	Required bool      `json:"required,omitempty"`
	// Secret values are never returned by reads nor quoted in errors.
	Secret bool   `json:"secret,omitempty"`
	Help   string `json:"help"`
}

// KindInfo describes one infrastructure or policy kind
// (`GET /infrastructures`, `GET /policies`).
type KindInfo struct {
	Name    string  `json:"name"`
	Summary string  `json:"summary"`
	Params  []Param `json:"params"`
}

// PluginSpec chooses an infrastructure or policy kind and its parameters.
type PluginSpec struct {
	Type   string            `json:"type"`
	Params map[string]string `json:"params,omitempty"`
}

// Access principals: AccessEveryone, "user:NAME" or "group:NAME".
const AccessEveryone = "*"

// SourceAccess says who may use a node source's nodes and who may
// administer it. Admins may always do both.
type SourceAccess struct {
	// Use lists who may run tasks on the nodes; empty means everyone.
	Use []string `json:"use,omitempty"`
	// Admin lists who may deploy, undeploy, update and delete the source
	// and lock, drain or remove its nodes, besides the admins. The user
	// who creates a source is added.
	Admin []string `json:"admin,omitempty"`
}

// NodeSourceSpec is the definition of a node source (`POST /node-sources`
// and the YAML file of `shrike source create -f`).
type NodeSourceSpec struct {
	Name           string       `json:"name" yaml:"name"`
	Description    string       `json:"description,omitempty" yaml:"description"`
	Infrastructure PluginSpec   `json:"infrastructure" yaml:"infrastructure"`
	Policy         PluginSpec   `json:"policy" yaml:"policy"`
	Access         SourceAccess `json:"access" yaml:"access"`
	// NodeTokens are capabilities the source's nodes carry: a node with
	// tokens runs only tasks that request one of them (node_token).
	NodeTokens []string `json:"node_tokens,omitempty" yaml:"node_tokens"`
	// Deploy, on creation, deploys the source at once.
	Deploy bool `json:"deploy,omitempty" yaml:"deploy"`
}

// NodeSourceStatus is whether a source is deployed.
type NodeSourceStatus string

// Source statuses.
const (
	SourceDeployed    NodeSourceStatus = "DEPLOYED"
	SourceUndeploying NodeSourceStatus = "UNDEPLOYING" // waiting for running tasks to end
	SourceUndeployed  NodeSourceStatus = "UNDEPLOYED"
)

// NodeSource is the REST view of a node source. Secret parameters are
// replaced by "******".
type NodeSource struct {
	NodeSourceSpec
	Status    NodeSourceStatus `json:"status"`
	Owner     string           `json:"owner"`
	CreatedAt time.Time        `json:"created_at"`
	// Nodes counts the source's nodes by state.
	Nodes map[NodeState]int `json:"nodes"`
	// LastError is the infrastructure's or policy's latest failure.
	LastError string `json:"last_error,omitempty"`
	// LastDecision is the policy's latest non-empty decision, in words.
	LastDecision string     `json:"last_decision,omitempty"`
	NextCheck    *time.Time `json:"next_check,omitempty"`
}

// NodeSourceUpdate is the body of `PATCH /node-sources/{name}`: the given
// parameters replace the current ones by name (an empty value removes the
// parameter); a nil field is left as it is.
type NodeSourceUpdate struct {
	Description          *string           `json:"description,omitempty"`
	InfrastructureParams map[string]string `json:"infrastructure_params,omitempty"`
	PolicyParams         map[string]string `json:"policy_params,omitempty"`
	Access               *SourceAccess     `json:"access,omitempty"`
	NodeTokens           *[]string         `json:"node_tokens,omitempty"`
}

// UndeployRequest is the body of `POST /node-sources/{name}/undeploy`.
// Without Preempt the source waits for running tasks before releasing a
// node; with it they are killed and queued again (not counted as failures).
type UndeployRequest struct {
	Preempt bool `json:"preempt"`
}

// EnrollTokenRequest is the body of `POST /node-sources/{name}/tokens`.
type EnrollTokenRequest struct {
	// OneTime tokens are spent by their first successful join.
	OneTime bool `json:"one_time"`
	// TTL is how long the token is valid; 0: until revoked.
	TTL         Duration `json:"ttl,omitempty"`
	Description string   `json:"description,omitempty"`
}

// EnrollToken is an enrollment token of a node source. Token (the secret)
// is only returned when the token is created.
type EnrollToken struct {
	ID          string     `json:"id"`
	Source      string     `json:"source"`
	Token       string     `json:"token,omitempty"`
	OneTime     bool       `json:"one_time"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	Uses        int        `json:"uses"`
	Description string     `json:"description,omitempty"`
}

// JoinRequest is the body of `POST /nodes/join`: a node trades an
// enrollment token for credentials of its own. It needs no login.
type JoinRequest struct {
	Token string `json:"token"`
	// Name is the node name wanted; it must pass ValidateNodeName and
	// must not belong to another node.
	Name string `json:"name"`
}

// NodeCredentials are one node's own credentials: the answer to a join and
// the content of the node's credentials file (mode 0600). Secret is the
// node's NATS password; the server keeps only its hash.
type NodeCredentials struct {
	Name    string `json:"name"`
	Source  string `json:"source"`
	Secret  string `json:"secret"`
	NATSURL string `json:"nats_url"`
	// Server is the REST URL the node joined through (informative).
	Server string `json:"server,omitempty"`
}

// OwnerReading is what a workstation agent reports about the person at
// the machine; nil when the agent does not watch its owner.
type OwnerReading struct {
	// InputIdle is the time since the last keyboard or mouse input.
	InputIdle Duration `json:"input_idle"`
	// Load is the 1-minute load average not caused by grid tasks.
	Load float64 `json:"load"`
}

// SuspendRequest asks a node to stop (SIGSTOP) or continue (SIGCONT) the
// process groups of all its running tasks. Walltime does not run while a
// task is suspended.
type SuspendRequest struct {
	Resume bool   `json:"resume,omitempty"`
	Reason string `json:"reason,omitempty"`
}
