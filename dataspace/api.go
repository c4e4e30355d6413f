package dataspace

// This file is the package's contract; the implementation is in the
// other files.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// Errors callers map to API codes.
var (
	ErrBadPath  = errors.New("dataspace: path not allowed") // escapes, NUL bytes, odd encodings
	ErrNotFound = errors.New("dataspace: no such file or directory")
	ErrExists   = errors.New("dataspace: already exists")
	ErrQuota    = errors.New("dataspace: quota exceeded")
	ErrChecksum = errors.New("dataspace: checksum mismatch")
)

// Options configure a Store.
type Options struct {
	// UserQuota bounds the bytes of each user's space plus the output
	// spaces of the user's jobs; 0: no limit.
	UserQuota int64
	// NoSync skips the fsync before a written file is renamed into place
	// (tests; file systems where fsync is slow and durability is moot).
	NoSync bool
}

// Selector chooses files by globs relative to a space root ("**" matches
// any number of directories): those matching Include (everything when
// empty) and no Exclude.
type Selector struct {
	Include []string
	Exclude []string
}

// Client moves files between a node and the server over HTTP with a
// capability token (api.Staging): parallel, streamed with bounded memory,
// sha256-checked, resuming interrupted transfers.
type Client struct {
	ServerURL string
	Token     string
	HTTP      *http.Client // nil: a default with timeouts
	// Parallel is how many files move at once (default 4).
	Parallel int
	// Progress, if set, is told about each file done (for the task's log);
	// calls never overlap.
	Progress func(msg string)
	// StallTimeout ends (and retries) a transfer that moved no byte for
	// this long (default 2 minutes).
	StallTimeout time.Duration
}

// compile-time shape of the contract (implemented elsewhere in the package)
var (
	_ func(string, Options) (*Store, error)                                                = Open
	_ func(*Store, string, string) (*Space, error)                                         = (*Store).UserOrGlobal
	_ func(*Store, int64, string, string) (*Space, error)                                  = (*Store).Job
	_ func(*Space, string) (string, error)                                                 = (*Space).Resolve
	_ func(*Space, context.Context, string, io.Reader, PutOptions) (api.SpaceEntry, error) = (*Space).Put
	_ func(*Space, string) ([]api.SpaceEntry, error)                                       = (*Space).List
	_ func(*Space, Selector) ([]api.SpaceEntry, error)                                     = (*Space).Walk
	_ func(*Space, http.ResponseWriter, *http.Request, string)                             = (*Space).ServeHTTPFile
	_ func(*Space, *http.Request, string) (api.SpaceEntry, error)                          = (*Space).ReceiveHTTPFile
	_ func(*Client, context.Context, string, Selector, string, bool) (int, error)          = (*Client).Pull
	_ func(*Client, context.Context, string, string, Selector) (int, error)                = (*Client).Push
)
