// Package dataspace will hold Shrike's data spaces: the global, per-user
// and per-job input/output spaces, path safety, include/exclude globs and
// file transfer between nodes and the server over HTTP.
//
// Status: not implemented yet. Today tasks exchange files through paths
// they share (a network file system, or the same machine). The design —
// capability tokens scoped to a job, sha256-checked resumable transfers,
// atomic writes — is tracked in the dataspaces issue.
package dataspace
