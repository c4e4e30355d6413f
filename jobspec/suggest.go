package jobspec

import "github.com/shrike-grid/shrike/internal/didyoumean"

// suggestBudget bounds the work spent on "did you mean" suggestions for
// one document, in cells of the edit distance table (about 10ms): a job of
// 10,000 long task names with many unknown dependencies gets suggestions
// for the first few only.
const suggestBudget = 5_000_000

// suggest is the package-level suggest within the parser's budget.
func (p *parser) suggest(word string, candidates []string) string {
	if p.budget <= 0 {
		return ""
	}
	return suggest(word, candidates, &p.budget)
}

// suggest is didyoumean.Closest with a work budget (see suggestBudget).
func suggest(word string, candidates []string, budget *int) string {
	return didyoumean.Closest(word, candidates, budget)
}

// distance is the edit distance used for suggestions.
func distance(a, b string) int { return didyoumean.Distance(a, b) }
