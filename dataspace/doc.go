// Package dataspace holds Shrike's data spaces and moves their files
// between the server and the nodes, which share no file system with it.
//
// # Spaces and layout
//
// A Store lives in the server's data directory:
//
//	<root>/global              GLOBAL: shared by everyone (admins write it)
//	<root>/users/<user>        USER: private to each user
//	<root>/jobs/<id>/input     INPUT of a job: what its tasks pull
//	<root>/jobs/<id>/output    OUTPUT of a job: what its tasks push
//	<root>/jobs/<id>/.owner    the job's owner, for quota accounting
//
// Options.UserQuota bounds, per user, the bytes of their USER space plus
// the OUTPUT spaces of their jobs (partial uploads included). The usage is
// computed by walking those trees the first time the user writes, then
// kept as a running count; a write that would pass the quota fails with
// ErrQuota (api.CodeQuota) and leaves nothing behind. Replacing a file
// may use the room of the file it replaces.
//
// # Safety rules
//
// Callers name files with "/"-separated paths relative to a space root.
// A path is refused (ErrBadPath, api.CodeBadRequest, with the reason) when
// it is absolute, has an empty, "." or ".." segment, contains a NUL byte,
// a backslash, a control character or invalid UTF-8, is longer than 4096
// bytes or has a segment longer than 255, or has a segment starting with
// ".shrike." (the package's own hidden files). Resolve also walks the
// path with Lstat and refuses it when any existing segment is a symbolic
// link, wherever it points; listings and walks skip links and never
// follow them. Every file operation then goes through an os.Root of the
// space, so even a link created meanwhile cannot lead out of it.
//
// Space.Sub cuts a space rooted at one of its folders (a job's INPUT or
// OUTPUT pointed at "user:PATH" or "global:PATH", see ParseRef): same
// name, owner and quota; its paths are checked from the top space's root
// down, the folders above the sub-root included, and it is opened through
// the top space's os.Root.
//
// Writes are atomic: Put writes a hidden file in the target's directory
// and renames it into place once complete (fsync'd unless Options.NoSync)
// and, when an expected sha256 is given, verified (ErrChecksum otherwise,
// and nothing is kept). Readers see the old file or the new one.
//
// Hidden files, beside the files they serve:
//
//	.shrike.part.<h>   a partial upload, keyed by (name, expected sha256)
//	.shrike.tmp.<r>    a write in progress without an expected sha256
//	.shrike.sum.<h>    the cached sha256 of a file of 1 MiB or more,
//	                   valid while the file's size and mtime match
//
// # Transfer protocol
//
// The REST layer authenticates the node (Authorization: Bearer <the
// capability token of api.Staging>), picks the space and calls the
// functions of this package on these routes:
//
//	GET  /api/v1/transfer/{space}/{path}
//	     A file: its bytes, via http.ServeContent (Range, If-Range,
//	     conditional requests), with X-Shrike-SHA256: <sha256> and
//	     ETag: "<sha256>". A directory: an api.SpaceList of its entries.
//	GET  /api/v1/transfer/{space}/?walk=1&include=G&exclude=G
//	     An api.SpaceList of every file the globs select (include and
//	     exclude repeat; see Selector), each with size, mtime and sha256.
//	HEAD /api/v1/transfer/{space}/{path}
//	     As GET, without a body. With a request header
//	     X-Shrike-SHA256: <sha256> it is instead the upload query: the
//	     answer (200) carries X-Shrike-Offset: <n>, the bytes of an upload
//	     of that checksum the server holds (0: start afresh), and
//	     X-Shrike-Complete: 1 when the file is already there with that
//	     checksum (nothing to send).
//	PUT  /api/v1/transfer/{space}/{path}
//	     Stores the body (streamed) atomically. X-Shrike-SHA256: the
//	     expected checksum (verified; required to resume). X-Shrike-Offset:
//	     where the body starts in the file when resuming; it must equal the
//	     server's partial upload (409 otherwise: ask again). Answers the
//	     stored file's api.SpaceEntry.
//
// Errors are api.Error bodies: 400 bad path or header, 404 no such file,
// 409 an offset that does not match the partial upload (ask again) or a
// directory in the way, 413 quota (api.CodeQuota), 422 checksum mismatch
// (api.CodeChecksum: damaged on the way, nothing kept; send again).
//
// # Client
//
// Client is the node's side. Pull lists the selected files (walk route)
// and downloads them Parallel at a time into hidden partial files, checks
// each sha256 and renames it into place with the server's mtime; a cut
// download resumes with a Range request. Push walks a local directory with
// the same globs (following links only to files inside it, refusing those
// that leave it), hashes each file and uploads it; for a large file, or a
// retry, it first asks the upload query, so an identical file is not sent
// again and a cut upload continues where the server's partial upload
// ends. Network failures, stalls, 5xx, 408, 409, 422 and 429 are tried 3 times with a
// growing pause; other refusals fail at once. Memory stays bounded: data
// is streamed through fixed buffers, never held whole.
package dataspace
