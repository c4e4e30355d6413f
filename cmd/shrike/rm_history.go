package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// Limits of `rm history`'s table and sparkline.
const (
	historyRows  = 24
	sparkletters = 60
)

// cmdRMHistory is `shrike rm history`.
func cmdRMHistory(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "rm history", "[--range 1h|1d|1w] [--json]",
		"Show how many nodes were FREE, BUSY and DOWN over the last hour, day or\n"+
			"week: a table of at most 24 evenly spaced samples and a sparkline of busy\n"+
			"nodes over all of them.",
		"shrike rm history --range 1d")
	server := serverFlag(fs)
	rng := fs.String("range", "1h", "how far back: 1h, 1d or 1w")
	asJSON := fs.Bool("json", false, "print every sample as JSON")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	if !slices.Contains([]string{"1h", "1d", "1w"}, *rng) {
		return usageErrorf("rm history: --range must be 1h, 1d or 1w, got %q", *rng)
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	h, err := c.RMHistory(ctx, *rng)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, h)
	}
	printHistory(e, h)
	return nil
}

// printHistory writes the summary line, the sample table and the sparkline.
func printHistory(e *env, h api.RMHistory) {
	if len(h.Samples) == 0 {
		fmt.Fprintf(e.stdout, "No samples over the last %s.\n", h.Range)
		return
	}
	shown := spread(len(h.Samples), historyRows)
	fmt.Fprintf(e.stdout, "Last %s, one sample every %s; %d of %d shown.\n\n",
		h.Range, time.Duration(h.Step), len(shown), len(h.Samples))
	tw := newTable(e.stdout, "TIME", "FREE", "BUSY", "DOWN", "TOTAL")
	for _, i := range shown {
		s := h.Samples[i]
		row(tw, fmtTime(&s.Time), s.Free, s.Busy, s.Down, s.Free+s.Busy+s.Down)
	}
	_ = tw.Flush()
	if line, peak, most := sparkline(h.Samples, sparkletters); most > 0 {
		fmt.Fprintf(e.stdout, "\nBusy: %s  (peak %d of %d nodes)\n", line, peak, most)
	}
}

// spread picks at most k evenly spaced indices of n, first and last
// included.
func spread(n, k int) []int {
	if n <= k {
		k = n
	}
	idx := make([]int, k)
	for i := range idx {
		if k > 1 {
			idx[i] = i * (n - 1) / (k - 1)
		}
	}
	return idx
}

// sparkline draws the busy nodes of samples in at most width letters, each
// the peak of its share of the samples, on a scale of 0 to the most nodes
// seen. It also returns that peak and that most.
func sparkline(samples []api.RMSample, width int) (line string, peak, most int) {
	for _, s := range samples {
		most = max(most, s.Free+s.Busy+s.Down)
		peak = max(peak, s.Busy)
	}
	if most == 0 {
		return "", 0, 0
	}
	bars := []rune("▁▂▃▄▅▆▇█")
	letters := min(width, len(samples))
	var b strings.Builder
	for i := range letters {
		lo, hi := i*len(samples)/letters, (i+1)*len(samples)/letters
		busy := 0
		for _, s := range samples[lo:hi] {
			busy = max(busy, s.Busy)
		}
		b.WriteRune(bars[busy*(len(bars)-1)/most])
	}
	return b.String(), peak, most
}
