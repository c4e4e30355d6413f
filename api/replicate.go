package api

import "strconv"

// Limits of arrays (TaskSpec.Replicate).
const (
	// MaxReplicas is the most instances one array task may have.
	MaxReplicas = 1_000_000
	// MaxJobInstances is the most tasks one job may expand to, counting
	// every instance of its arrays.
	MaxJobInstances = 1_000_000
)

// Instances returns how many tasks t stands for: Replicate.Count for an
// array, else 1.
func (t *TaskSpec) Instances() int {
	if t.Replicate == nil {
		return 1
	}
	return t.Replicate.Count
}

// Value returns instance i's SHRIKE_REPLICA: Values[i] when Values is
// set, else From + i*Step.
func (r *Replicate) Value(i int) string {
	if len(r.Values) > 0 {
		return r.Values[i]
	}
	return strconv.Itoa(r.From + i*r.Step)
}

// InstanceName names instance i of array task name: "name[i]". Brackets
// cannot appear in task names, so an instance's name never clashes with
// another task's.
func InstanceName(name string, i int) string {
	b := make([]byte, 0, len(name)+8)
	b = append(b, name...)
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(i), 10)
	return string(append(b, ']'))
}
