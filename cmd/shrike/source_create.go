package main

import (
	"context"
	"fmt"
	"maps"

	"github.com/shrike-grid/shrike/api"
)

// cmdSourceCreate is `shrike source create`.
func cmdSourceCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "source create",
		"NAME [--infra KIND] [--infra-param K=V]... --policy KIND [--policy-param K=V]... [flags]\n"+
			"       shrike source create -f FILE [NAME] [flags]",
		"Create a node source (admins only): an infrastructure (how its nodes start:\n"+
			"enroll, local, ssh, slurm; default enroll) and a policy (when: static,\n"+
			"time-slot, cron, restart-down, elastic, workstation), each with parameters\n"+
			"(see `shrike source infrastructures` and `shrike source policies`). With -f\n"+
			"the definition comes from a YAML or JSON file (- for standard input) and the\n"+
			"flags given override it; unknown fields in the file are errors. The server\n"+
			"checks everything and reports every problem at once.",
		"shrike source create lab --infra local --infra-param max_nodes=4 --policy elastic --policy-param max_nodes=4 --deploy")
	server := serverFlag(fs)
	file := fs.String("f", "", "read the definition from this YAML or JSON file (- for standard input)")
	infra := fs.String("infra", "", "the infrastructure kind: enroll, local, ssh or slurm")
	infraParams := addParamFlags(fs, "infra", "infrastructure")
	policy := fs.String("policy", "", "the policy kind: static, time-slot, cron, restart-down, elastic or workstation")
	policyParams := addParamFlags(fs, "policy", "policy")
	access := addAccessFlags(fs)
	description := fs.String("description", "", "what the source is, for people")
	deploy := fs.Bool("deploy", false, "deploy the source at once")
	asJSON := fs.Bool("json", false, "print the new source as JSON")
	pos, err := parseArgs(fs, args, -1)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErrorf("source create: want at most one NAME, got %d arguments (run 'shrike source create -h')", len(pos))
	}
	var spec api.NodeSourceSpec
	if *file != "" {
		if spec, err = readSourceFile(e, *file); err != nil {
			return err
		}
	}
	if len(pos) == 1 {
		spec.Name = pos[0]
	}
	if spec.Name == "" {
		return usageErrorf("source create: want the source's NAME (or name: in the file of -f)")
	}
	if _, err = parseSourceName(spec.Name); err != nil {
		return err
	}
	set := given(fs)
	if set["infra"] {
		spec.Infrastructure.Type = *infra
	}
	if set["policy"] {
		spec.Policy.Type = *policy
	}
	if set["description"] {
		spec.Description = *description
	}
	if set["use"] {
		spec.Access.Use = listOrEmpty(access.use)
	}
	if set["admin"] {
		spec.Access.Admin = listOrEmpty(access.admin)
	}
	if set["node-token"] {
		spec.NodeTokens = listOrEmpty(access.nodeTokens)
	}
	if set["deploy"] {
		spec.Deploy = *deploy
	}
	if spec.Infrastructure.Params, err = mergeParamFlags(spec.Infrastructure.Params, infraParams); err != nil {
		return err
	}
	if spec.Policy.Params, err = mergeParamFlags(spec.Policy.Params, policyParams); err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	src, err := c.CreateSource(ctx, spec)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, src)
	}
	printSourceLine(e, "Created", src)
	if src.Infrastructure.Type == "enroll" || src.Infrastructure.Type == "" {
		fmt.Fprintf(e.stdout, "Nodes join it with an enrollment token: shrike source token create %s\n", src.Name)
	}
	return nil
}

// mergeParamFlags lays the parameters given by flags over those of a file.
func mergeParamFlags(params map[string]string, flags *paramFlags) (map[string]string, error) {
	given, err := flags.read()
	if err != nil || len(given) == 0 {
		return params, err
	}
	out := maps.Clone(params)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, given)
	return out, nil
}
