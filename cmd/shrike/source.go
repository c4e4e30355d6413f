package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// sourceCommand dispatches `shrike source ...`, the node sources.
func sourceCommand(ctx context.Context, e *env, args []string) error {
	return runGroup(ctx, e, "shrike source", []command{
		{"ls", "list node sources", cmdSourceLs},
		{"show", "show a node source: parameters, access, nodes, tokens", cmdSourceShow},
		{"create", "create a node source from flags or a YAML file (admins)", cmdSourceCreate},
		{"update", "change a node source's parameters, access or node tokens", cmdSourceUpdate},
		{"deploy", "deploy a node source: its policy starts acquiring nodes", cmdSourceDeploy},
		{"undeploy", "release a node source's nodes", cmdSourceUndeploy},
		{"rm", "undeploy and delete a node source", cmdSourceRm},
		{"token", "create, list and revoke enrollment tokens", sourceTokenCommand},
		{"infrastructures", "list the infrastructure kinds and their parameters", cmdSourceInfrastructures},
		{"policies", "list the policy kinds and their parameters", cmdSourcePolicies},
	}, args)
}

// sourceTarget parses a source command's flags and its one source NAME
// argument, and returns the name with a client for the server.
func sourceTarget(e *env, fs *flag.FlagSet, server *string, args []string) (string, *api.Client, error) {
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return "", nil, err
	}
	name, err := parseSourceName(pos[0])
	if err != nil {
		return "", nil, err
	}
	c, err := newClient(e, *server)
	return name, c, err
}

// parseSourceName reads a node source name argument; source names follow
// the rules of node names.
func parseSourceName(s string) (string, error) {
	if api.ValidateNodeName(s) != nil {
		return "", usageErrorf("invalid node source name %q: use letters, digits, '-' and '_' "+
			"(at most 63, starting with a letter or digit)", s)
	}
	return s, nil
}

// fmtNodeCounts summarises a source's nodes: "3 (2 FREE, 1 BUSY)", in
// lifecycle order; "0" for none.
func fmtNodeCounts(counts map[api.NodeState]int) string {
	total := 0
	var parts []string
	for _, st := range api.NodeStates {
		if n := counts[st]; n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	for st, n := range counts { // states this client does not know yet
		if n > 0 && !knownNodeState(st) {
			total += n
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if total == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

// knownNodeState reports whether st is one of api.NodeStates.
func knownNodeState(st api.NodeState) bool {
	for _, known := range api.NodeStates {
		if st == known {
			return true
		}
	}
	return false
}

// fmtAccess writes an access list; an empty use list means everyone.
func fmtAccess(list []string, emptyMeans string) string {
	if len(list) == 0 {
		return emptyMeans
	}
	return strings.Join(list, ", ")
}

// printSourceLine writes a one-line summary of a source after a change.
func printSourceLine(e *env, verb string, src api.NodeSource) {
	fmt.Fprintf(e.stdout, "%s node source %s: %s, nodes %s.\n", verb, src.Name, src.Status, fmtNodeCounts(src.Nodes))
}
