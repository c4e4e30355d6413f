package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// progressWidth is the number of cells in a progress bar.
const progressWidth = 30

// renderProgress draws "[#####.....] 5/10 tasks finished".
func renderProgress(done, total, width int) string {
	filled := 0
	if total > 0 {
		filled = done * width / total
	}
	return fmt.Sprintf("[%s%s] %d/%d tasks finished",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total)
}

// progressBar redraws one terminal line as a job advances.
type progressBar struct {
	w     io.Writer
	drawn bool
}

// update redraws the bar for job.
func (p *progressBar) update(job api.Job) {
	done, total := taskProgress(job)
	fmt.Fprintf(p.w, "\r%s  %-8s\x1b[K", renderProgress(done, total, progressWidth), job.State)
	p.drawn = true
}

// finish ends the bar's line.
func (p *progressBar) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
