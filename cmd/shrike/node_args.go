package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// parseNodeName reads a node name argument.
func parseNodeName(s string) (string, error) {
	if err := api.ValidateNodeName(s); err != nil {
		return "", usageErrorf("%v", err)
	}
	return s, nil
}

// parseNodeStates reads --state values, in any case.
func parseNodeStates(cmd string, values []string) ([]api.NodeState, error) {
	var states []api.NodeState
	for _, v := range values {
		st := api.NodeState(strings.ToUpper(v))
		if !slices.Contains(api.NodeStates, st) {
			names := make([]string, len(api.NodeStates))
			for i, known := range api.NodeStates {
				names[i] = string(known)
			}
			return nil, usageErrorf("%s: unknown state %q: want one of %s", cmd, v, strings.Join(names, ", "))
		}
		states = append(states, st)
	}
	return states, nil
}

// lockDrain is a node's LOCK/DRAIN column: "locked", "draining", both or "-".
func lockDrain(n api.Node) string { return lockDrainFlags(n.Locked != nil, n.Draining) }

// lockDrainFlags writes the lock and drain flags as lockDrain does.
func lockDrainFlags(locked, draining bool) string {
	var parts []string
	if locked {
		parts = append(parts, "locked")
	}
	if draining {
		parts = append(parts, "draining")
	}
	return orDash(strings.Join(parts, ","))
}

// fmtLock describes a node's lock: by whom, when and why; "-" if none.
func fmtLock(l *api.NodeLock) string {
	if l == nil {
		return "-"
	}
	s := fmt.Sprintf("locked by %s at %s", l.By, fmtTime(&l.At))
	if l.Reason != "" {
		s += ": " + l.Reason
	}
	return s
}

// optBool is a boolean flag that remembers whether it was given:
// `--locked` is true, `--locked=false` false, and no flag nil.
type optBool struct{ v *bool }

func (o *optBool) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return fmt.Sprint(*o.v)
}

func (o *optBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, got %q", s)
	}
	o.v = &b
	return nil
}

// IsBoolFlag lets the flag stand alone (`--locked`).
func (o *optBool) IsBoolFlag() bool { return true }
