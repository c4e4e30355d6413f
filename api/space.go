package api

import "time"

// Space names. GLOBAL is shared by everyone (written by admins), USER is
// private to each user, and every job has an INPUT and an OUTPUT space.
const (
	SpaceGlobal = "global"
	SpaceUser   = "user"
	SpaceInput  = "input"
	SpaceOutput = "output"
)

// FileTransfer declares files a task pulls in (From) or pushes out (To):
// the paths under the space that match Include (globs with `**`; default
// everything) and none of Exclude.
type FileTransfer struct {
	From    string   `json:"from,omitempty"` // input_files: input (default), output (the job's, e.g. a parent's results), global or user
	To      string   `json:"to,omitempty"`   // output_files: output (default), user or global
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// Optional input files may be missing; a required input (the default)
	// that matches nothing fails the task.
	Optional bool `json:"optional,omitempty"`
}

// SpaceEntry is one file or directory of a space listing.
type SpaceEntry struct {
	Path    string    `json:"path"` // relative to the space root, "/"-separated
	Dir     bool      `json:"dir,omitempty"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	SHA256  string    `json:"sha256,omitempty"` // files, when known
}

// SpaceList is the answer to `GET /spaces/{space}/{dir}/`.
type SpaceList struct {
	Space   string       `json:"space"`
	Path    string       `json:"path"`
	Entries []SpaceEntry `json:"entries"`
}

// SpaceMove is the body of `POST /spaces/{space}/{path}?op=move`.
type SpaceMove struct {
	To string `json:"to"`
}

// Staging tells a node how to move a task's files: the server's URL, a
// capability token valid only for this job's spaces (and the owner's
// user space and the global one, read-only unless declared), and the
// declared transfers. Local lists spaces the node sees at a local path
// (shared file systems): those are copied directly, without HTTP.
type Staging struct {
	ServerURL string            `json:"server_url"`
	Token     string            `json:"token"`
	Inputs    []FileTransfer    `json:"inputs,omitempty"`
	Outputs   []FileTransfer    `json:"outputs,omitempty"`
	Local     map[string]string `json:"local,omitempty"`
	// KeepScratchOnFailure keeps a failed attempt's scratch directory.
	KeepScratchOnFailure bool `json:"keep_scratch_on_failure,omitempty"`
}
