// Package didyoumean suggests the closest known word for a misspelt one
// ("unknown field \"comand\" (did you mean \"command\"?)"): it serves the
// job-file parser and the policy parameter checks alike.
package didyoumean
