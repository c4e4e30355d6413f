package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/shrike-grid/shrike/api"
)

// cmdVersion is `shrike version`.
func cmdVersion(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "", "Print the version of this binary.", "shrike version")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "shrike %s (%s, %s/%s)\n", api.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
