package policies

import "github.com/shrike-grid/shrike/internal/didyoumean"

// suggest returns the known name closest to word, or "" (parameter and
// kind lists are short: no work budget).
func suggest(word string, candidates []string) string {
	return didyoumean.Closest(word, candidates, nil)
}
