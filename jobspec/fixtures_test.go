package jobspec

import (
	"time"

	"github.com/shrike-grid/shrike/api"
)

// The vocabulary of expected specs: job("j", task("a", script("x"), cpu(2))).

// job is a job at normal priority.
func job(name string, tasks ...api.TaskSpec) api.JobSpec {
	return api.JobSpec{Name: name, Priority: api.PriorityNormal, Tasks: tasks}
}

// opt changes one field of an expected task.
type opt func(*api.TaskSpec)

// task is a task with the defaults the parser applies, then opts.
func task(name string, opts ...opt) api.TaskSpec {
	t := api.TaskSpec{
		Name:        name,
		Resources:   api.Resources{CPU: api.DefaultTaskCPU},
		MaxAttempts: api.DefaultMaxAttempts,
	}
	for _, o := range opts {
		o(&t)
	}
	return t
}

func script(s string) opt          { return func(t *api.TaskSpec) { t.Script = s } }
func lua(s string) opt             { return func(t *api.TaskSpec) { t.Lua = s } }
func command(argv ...string) opt   { return func(t *api.TaskSpec) { t.Command = argv } }
func deps(names ...string) opt     { return func(t *api.TaskSpec) { t.DependsOn = names } }
func cpu(c float64) opt            { return func(t *api.TaskSpec) { t.Resources.CPU = c } }
func mem(b api.ByteSize) opt       { return func(t *api.TaskSpec) { t.Resources.Memory = b } }
func attempts(n int) opt           { return func(t *api.TaskSpec) { t.MaxAttempts = n } }
func walltime(d time.Duration) opt { return func(t *api.TaskSpec) { t.Walltime = api.Duration(d) } }

// env sets the task's environment from name, value pairs.
func env(kv ...string) opt {
	return func(t *api.TaskSpec) {
		t.Env = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			t.Env[kv[i]] = kv[i+1]
		}
	}
}

// selection sets the task's selection scripts.
func selection(s ...api.SelectionScript) opt { return func(t *api.TaskSpec) { t.Selection = s } }
