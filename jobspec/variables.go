package jobspec

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reservedPrefix starts the names Shrike sets itself in a task's
// environment (SHRIKE_JOB_ID, SHRIKE_TASK, SHRIKE_ATTEMPT).
const reservedPrefix = "SHRIKE_"

// checkEnvName returns why name cannot be a job variable or a task
// environment variable, or "" when it can.
func checkEnvName(name string) string {
	if !envNameRE.MatchString(name) {
		return "invalid name: use letters, digits and '_', not starting with a digit"
	}
	if strings.HasPrefix(strings.ToUpper(name), reservedPrefix) {
		return "names starting with " + reservedPrefix + " are reserved for the variables Shrike sets"
	}
	return ""
}

// ApplyVariables overrides or adds job variables in spec, as given on the
// command line (--var K=V) or in the submission's query parameters. When
// a name is invalid, it returns one error per bad name (field
// "variables.K") and leaves spec unchanged.
func ApplyVariables(spec *api.JobSpec, vars map[string]string) []api.FieldError {
	var errs []api.FieldError
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if msg := checkEnvName(k); msg != "" {
			errs = append(errs, api.FieldError{Field: "variables." + k, Message: msg})
		} else if strings.ContainsRune(vars[k], 0) {
			errs = append(errs, api.FieldError{Field: "variables." + k, Message: "must not contain NUL characters"})
		}
	}
	if len(errs) > 0 || len(vars) == 0 {
		return errs
	}
	if spec.Variables == nil {
		spec.Variables = make(map[string]string, len(vars))
	}
	maps.Copy(spec.Variables, vars)
	return nil
}
