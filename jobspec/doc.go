// Package jobspec reads the job documents users submit, YAML or JSON, into
// the canonical api.JobSpec, and validates them.
//
// Parse walks the YAML node tree by hand instead of unmarshalling into
// structs, so that it knows the path and the line of every value. It never
// stops at the first problem: it returns every one it finds as an
// api.FieldError whose Field is a path like "tasks[2].resources.memory",
// "tasks[0].depends_on[1]" or "variables.FOO", and whose Message ends in
// " (line N)" where the line is known. Unknown fields are errors with a
// "did you mean" suggestion; dependency cycles are reported on the field
// "tasks" as "dependency cycle: a → b → c → a", where "a → b" reads "b
// depends on a".
//
// JSON is read by the same YAML parser (JSON is nearly a subset of YAML);
// normalizeJSON first rewrites the few JSON string escapes YAML lacks.
// YAML anchors, aliases and merge keys ("<<: *defaults") are supported;
// documents whose aliases expand beyond a bound are refused.
//
// Selection scripts (selection:, on the job and on tasks) are checked here
// as far as a document can be: library names (scripts.Library) and the
// compilation of inline Lua (scripts.Compile), whose errors carry the
// script's line and, for literal blocks, the document's. The job's list
// is copied into the tasks that set none, so the canonical form has no
// job-level selection.
//
// ApplyVariables overrides job variables given at submission (--var K=V).
//
// The user-facing description of the format is docs/jobs.md; the
// examples/ directory holds documents that the tests parse.
package jobspec
