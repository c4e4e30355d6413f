package resttest

import (
	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/policies"
	"github.com/shrike-grid/shrike/rm/infra"
)

// InfrastructureKinds are the infrastructure kinds the fake knows: the
// server's own (rm/infra), so that the REST layer and the CLI show and
// validate the same parameters.
func InfrastructureKinds() []api.KindInfo { return infra.Describe() }

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
