package jobspec

import "strings"

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

// suggest returns the candidate closest to word, or "" when none is close
// enough to be what the user meant. Close means an edit distance (with
// transpositions, ignoring case) of at most a third of the candidate's
// length, and at least 1. Each comparison is subtracted from *budget; it
// stops when that runs out.
func suggest(word string, candidates []string, budget *int) string {
	best, bestDist := "", -1
	lw := strings.ToLower(word)
	nw := len([]rune(word))
	for _, c := range candidates {
		nc := len([]rune(c))
		limit := max(1, nc/3)
		if nw-nc > limit || nc-nw > limit { // the distance is at least the length difference
			continue
		}
		if *budget <= 0 {
			break
		}
		*budget -= (nw + 1) * (nc + 1)
		d := distance(lw, strings.ToLower(c))
		if d > limit {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows of the dynamic programming table: two back, one back, now.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
