package resttest

import (
	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/policies"
)

// InfrastructureKinds are the infrastructure kinds the fake knows: the
// four kinds of the server with their main parameters, enough for the
// REST layer and the CLI to show and validate. The server's own kinds
// (rm/infra) are the reference.
func InfrastructureKinds() []api.KindInfo {
	return []api.KindInfo{
		{Name: "enroll", Summary: "nodes join by themselves with an enrollment token; deploys nothing", Params: []api.Param{}},
		{Name: "local", Summary: "node agents started as processes on the server's host", Params: []api.Param{
			{Name: "max_nodes", Type: api.ParamInt, Default: "4", Help: "the most agents to run"},
			{Name: "slots", Type: api.ParamInt, Help: "task slots of each agent; default: its CPUs"},
			{Name: "tags", Type: api.ParamList, Help: "tags of every node"},
			{Name: "agent_args", Type: api.ParamString, Help: "more arguments for `shrike node`"},
			{Name: "stop_grace", Type: api.ParamDuration, Default: "10s", Help: "how long an agent may take to stop"},
		}},
		{Name: "ssh", Summary: "node agents started on listed hosts over SSH", Params: []api.Param{
			{Name: "hosts", Type: api.ParamList, Required: true, Help: "the hosts, one node each"},
			{Name: "port", Type: api.ParamInt, Default: "22", Help: "SSH port"},
			{Name: "user", Type: api.ParamString, Required: true, Help: "user to log in as"},
			{Name: "private_key", Type: api.ParamText, Secret: true, Help: "PEM private key"},
			{Name: "password", Type: api.ParamString, Secret: true, Help: "SSH password"},
			{Name: "known_hosts", Type: api.ParamText, Help: "known_hosts lines of the hosts"},
			{Name: "insecure_ignore_host_key", Type: api.ParamBool, Default: "false", Help: "skip host key checks (tests only)"},
			{Name: "agent_path", Type: api.ParamString, Default: "shrike", Help: "the shrike binary on the hosts"},
			{Name: "work_dir", Type: api.ParamString, Help: "the agents' work directory"},
			{Name: "nats_url", Type: api.ParamString, Help: "the NATS URL the hosts reach the server at"},
			{Name: "agent_args", Type: api.ParamString, Help: "more arguments for `shrike node`"},
			{Name: "connect_timeout", Type: api.ParamDuration, Default: "10s", Help: "SSH connection timeout"},
			{Name: "stop_grace", Type: api.ParamDuration, Default: "10s", Help: "how long an agent may take to stop"},
		}},
		{Name: "slurm", Summary: "node agents submitted as Slurm batch jobs", Params: []api.Param{
			{Name: "work_dir", Type: api.ParamString, Required: true, Help: "shared directory of the agents' work directories"},
			{Name: "partition", Type: api.ParamString, Help: "Slurm partition"},
			{Name: "time_limit", Type: api.ParamDuration, Help: "the batch job's time limit"},
			{Name: "cpus", Type: api.ParamInt, Help: "CPUs per node"},
			{Name: "memory", Type: api.ParamString, Help: "memory per node, like 4G"},
			{Name: "max_nodes", Type: api.ParamInt, Default: "0", Help: "the most batch jobs at once; 0: no limit"},
			{Name: "sbatch_options", Type: api.ParamString, Help: "more sbatch options"},
			{Name: "agent_path", Type: api.ParamString, Default: "shrike", Help: "the shrike binary on the cluster"},
			{Name: "nats_url", Type: api.ParamString, Help: "the NATS URL the cluster reaches the server at"},
			{Name: "agent_args", Type: api.ParamString, Help: "more arguments for `shrike node`"},
			{Name: "slurm_bin", Type: api.ParamString, Help: "directory of sbatch, squeue and scancel"},
			{Name: "slurm_conf", Type: api.ParamString, Help: "SLURM_CONF for the commands"},
		}},
	}
}

// PolicyKinds are the policy kinds the fake knows: the server's own.
func PolicyKinds() []api.KindInfo {
	kinds := policies.Kinds()
	out := make([]api.KindInfo, len(kinds))
	for i, k := range kinds {
		out[i] = api.KindInfo{Name: k.Name, Summary: k.Summary, Params: k.Describe()}
	}
	return out
}

// kindParams finds a kind's parameters by name.
func kindParams(kinds []api.KindInfo, name string) ([]api.Param, bool) {
	for _, k := range kinds {
		if k.Name == name {
			return k.Params, true
		}
	}
	return nil, false
}
