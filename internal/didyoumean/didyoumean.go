package didyoumean

import "strings"

// Closest returns the candidate closest to word, or "" when none is close
// enough to be what the user meant. Close means an edit distance (with
// transpositions, ignoring case) of at most a third of the candidate's
// length, and at least 1. With a budget, each comparison's cost (the size of
// its table) is subtracted from *budget and the search stops when it runs
// out; a nil budget is unbounded.
func Closest(word string, candidates []string, budget *int) string {
	best, bestDist := "", -1
	lw := strings.ToLower(word)
	nw := len([]rune(word))
	for _, c := range candidates {
		nc := len([]rune(c))
		limit := max(1, nc/3)
		if nw-nc > limit || nc-nw > limit { // the distance is at least the length difference
			continue
		}
		if budget != nil {
			if *budget <= 0 {
				break
			}
			*budget -= (nw + 1) * (nc + 1)
		}
		d := Distance(lw, strings.ToLower(c))
		if d > limit {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Distance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent runes.
func Distance(a, b string) int {
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
