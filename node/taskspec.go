package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// File names written into an attempt's working directory.
const (
	scriptFile = "task.sh"
	luaFile    = "task.lua"
	// nodesFile lists a multi-node task's nodes, one a line, this one
	// first (SHRIKE_NODEFILE): an MPI host file.
	nodesFile = "shrike-nodes"
)

// checkStart returns why t cannot be started, or "" if it can.
func checkStart(t api.StartTask) string {
	var problems []string
	if t.TaskID <= 0 {
		problems = append(problems, "task_id must be positive")
	}
	if t.Attempt < 0 {
		problems = append(problems, "attempt must not be negative")
	}
	n := 0
	if len(t.Command) > 0 {
		n++
		if t.Command[0] == "" {
			problems = append(problems, "command[0] is empty")
		}
	}
	if t.Script != "" {
		n++
	}
	if t.Lua != "" {
		n++
	}
	if n != 1 && !(t.Hold && n == 0) {
		// A hold runs nothing of its own; it may carry the task's program.
		problems = append(problems, "exactly one of command, script and lua must be set")
	}
	for _, node := range t.Nodes {
		if api.ValidateNodeName(node) != nil {
			problems = append(problems, fmt.Sprintf("invalid node name %q in nodes", node))
		}
	}
	problems = append(problems, checkEnv(t.Env)...)
	if t.Walltime < 0 || t.KillGrace < 0 {
		problems = append(problems, "walltime and kill_grace must not be negative")
	}
	if t.Staging != nil {
		problems = append(problems, checkStaging(t.Staging)...)
	}
	return strings.Join(problems, "; ")
}

// checkEnv returns a problem for each variable of env that cannot be put
// in a process's environment.
func checkEnv(env map[string]string) []string {
	var problems []string
	for k, v := range env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			problems = append(problems, fmt.Sprintf("invalid environment variable %q", k))
		}
	}
	return problems
}

// argv writes the task's script (if any) into dir and returns the command
// line that runs it.
func (a *Agent) argv(t api.StartTask, dir string) ([]string, error) {
	switch {
	case len(t.Command) > 0:
		return t.Command, nil
	case t.Script != "":
		path := filepath.Join(dir, scriptFile)
		if err := os.WriteFile(path, []byte(t.Script), 0o700); err != nil {
			return nil, err
		}
		if strings.HasPrefix(t.Script, "#!") {
			return []string{path}, nil
		}
		return []string{"/bin/sh", path}, nil
	case t.Lua != "":
		if len(a.cfg.LuaRunner) == 0 {
			return nil, errors.New("no Lua runner configured")
		}
		path := filepath.Join(dir, luaFile)
		if err := os.WriteFile(path, []byte(t.Lua), 0o600); err != nil {
			return nil, err
		}
		return append(append([]string(nil), a.cfg.LuaRunner...), path), nil
	}
	return nil, errors.New("nothing to run")
}

// secretEnv lists the credentials the shrike command reads from the
// environment. The agent's environment is passed on to its tasks without
// them (see taskBaseEnv), so that no job can read the node enrollment token
// or a user's API token or password. Every other SHRIKE_*_TOKEN variable is
// dropped as well (isSecretEnv).
var secretEnv = []string{
	"SHRIKE_NODE_TOKEN",   // node enrollment token (shrike node)
	"SHRIKE_TOKEN",        // user API token (client commands)
	"SHRIKE_PASSWORD",     // user password (shrike login)
	"SHRIKE_NEW_PASSWORD", // password of a new user (shrike admin user add)
}

// isSecretEnv reports whether the variable name must not reach tasks: one
// of secretEnv, or any SHRIKE_*_TOKEN.
func isSecretEnv(name string) bool {
	return slices.Contains(secretEnv, name) ||
		strings.HasPrefix(name, "SHRIKE_") && strings.HasSuffix(name, "_TOKEN")
}

// taskBaseEnv is environ ("NAME=value" entries, as from os.Environ) without
// the secret variables: the environment every task starts from.
func taskBaseEnv(environ []string) []string {
	env := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !isSecretEnv(name) {
			env = append(env, kv)
		}
	}
	return env
}

// withShrikeBin adds SHRIKE_BIN=bin to env and, when bin is named
// shrike, its directory to the end of PATH (what is on the PATH already
// wins): tasks call the client commands (`shrike task exec`) through it.
func withShrikeBin(env []string, bin string) []string {
	if bin == "" {
		return env
	}
	env = append(env, "SHRIKE_BIN="+bin)
	if filepath.Base(bin) != "shrike" {
		return env
	}
	dir := filepath.Dir(bin)
	for i, kv := range env {
		if path, ok := strings.CutPrefix(kv, "PATH="); ok {
			if !slices.Contains(filepath.SplitList(path), dir) {
				env[i] = kv + string(filepath.ListSeparator) + dir
			}
			return env
		}
	}
	return append(env, "PATH=/usr/local/bin:/usr/bin:/bin"+string(filepath.ListSeparator)+dir)
}

// env is the agent's environment without secrets (Agent.baseEnv, see
// taskBaseEnv), then the task's variables, then the SHRIKE_* variables
// (later entries win, so a task cannot override these).
func (a *Agent) env(t api.StartTask) []string { return a.envWith(t, nil) }

// envWith is env with extra (an exec's variables) after the task's.
//
// A multi-node task (more than one of t.Nodes) also gets SHRIKE_NODES (its
// nodes, comma-separated, this one first), SHRIKE_NODE_COUNT and
// SHRIKE_NODEFILE (nodesFile in its work dir).
func (a *Agent) envWith(t api.StartTask, extra map[string]string) []string {
	env := make([]string, 0, len(a.baseEnv)+len(t.Env)+len(extra)+12)
	env = append(env, a.baseEnv...)
	for k, v := range t.Env {
		env = append(env, k+"="+v)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	if len(t.Nodes) > 1 {
		env = append(env,
			"SHRIKE_NODES="+strings.Join(t.Nodes, ","),
			"SHRIKE_NODE_COUNT="+strconv.Itoa(len(t.Nodes)),
			"SHRIKE_NODEFILE="+filepath.Join(a.workDir(t.Key()), nodesFile),
		)
	}
	if t.APIToken != "" {
		// The job-scoped token: shrike commands in the task act as its job.
		env = append(env, "SHRIKE_ADDR="+t.APIURL, "SHRIKE_TOKEN="+t.APIToken)
	}
	return append(env,
		"SHRIKE_JOB_ID="+strconv.FormatInt(t.JobID, 10),
		"SHRIKE_TASK="+t.Task,
		"SHRIKE_ATTEMPT="+strconv.Itoa(t.Attempt),
		"SHRIKE_TASK_ID="+strconv.FormatInt(t.TaskID, 10),
		"SHRIKE_NODE="+a.cfg.Name,
		agentIDVar+"="+a.agentID,
	)
}

// writeNodesFile writes a multi-node task's nodes file into dir, one node
// a line; single-node tasks get none.
func writeNodesFile(t api.StartTask, dir string) error {
	if len(t.Nodes) <= 1 {
		return nil
	}
	return os.WriteFile(filepath.Join(dir, nodesFile), []byte(strings.Join(t.Nodes, "\n")+"\n"), 0o600)
}

// attemptName is "<taskid>-<attempt>", the base of its directory and log.
func attemptName(k api.TaskKey) string {
	return strconv.FormatInt(k.TaskID, 10) + "-" + strconv.Itoa(k.Attempt)
}

func (a *Agent) logPath(k api.TaskKey) string {
	return filepath.Join(a.logsDir, attemptName(k)+".log")
}

func (a *Agent) workDir(k api.TaskKey) string {
	return filepath.Join(a.tasksDir, attemptName(k))
}
