package scheduler

import (
	"slices"
	"strconv"
	"strings"
)

// Eligibility: node tokens and node-source access rights. A node that
// carries tokens is invisible to tasks that request none of them; a task
// that requests a token runs only on nodes that carry it; a node whose
// source restricts its use runs only the tasks of the users and groups it
// names. These are the first filter, before slots and resources.

// ineligibility is why a node may not run a task at all.
type ineligibility uint8

const (
	eligible ineligibility = iota
	tokenCarried
	tokenMissing
	accessDenied
	failedHere
)

// eligibleOn tells whether t may run on n at all.
func eligibleOn(n *Node, t *QueuedTask) ineligibility {
	switch {
	case t.Token == "" && len(n.Tokens) > 0:
		return tokenCarried
	case t.Token != "" && !slices.Contains(n.Tokens, t.Token):
		return tokenMissing
	case len(n.Access) > 0 && !mayUse(n.Access, t.User, t.Groups):
		return accessDenied
	case len(t.AvoidNodes) > 0 && slices.Contains(t.AvoidNodes, n.Name):
		return failedHere
	}
	return eligible
}

// mayUse reports whether user (in groups) is named by access.
func mayUse(access []string, user string, groups []string) bool {
	for _, e := range access {
		switch {
		case e == "*":
			return true
		case strings.HasPrefix(e, "user:") && e[5:] == user:
			return true
		case strings.HasPrefix(e, "group:") && slices.Contains(groups, e[6:]):
			return true
		}
	}
	return false
}

// eligibilityKey groups tasks that see the same nodes: the shape cache is
// kept per group.
func eligibilityKey(t *QueuedTask) string {
	if t.Token == "" && t.User == "" && t.Class == 0 && len(t.AvoidNodes) == 0 {
		return ""
	}
	key := t.Token + "\x00" + t.User + "\x00" + strconv.Itoa(t.Class)
	if len(t.AvoidNodes) > 0 {
		key += "\x00" + strings.Join(t.AvoidNodes, "\x00")
	}
	return key
}

// Messages of ineligible nodes.
const (
	msgTokenCarried = "carry node tokens the task does not request"
	msgAccessDenied = "their node source does not let the job's owner use them"
	msgFailedHere   = "the task failed there before (retry_elsewhere)"
	// MsgFailedEverywhere is the reason of a task that must avoid every
	// node it could use, having failed on each.
	MsgFailedEverywhere = "failed on every eligible node"
)

func msgTokenMissing(token string) string { return "do not carry node token " + token }
