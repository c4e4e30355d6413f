package dataspace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// reservedPrefix starts the names of the package's own files (partial
// uploads, temporary files, checksum sidecars). No path segment a caller
// gives may start with it, and listings never show such files.
const reservedPrefix = ".shrike."

const (
	maxPathLen = 4096
	maxNameLen = 255
)

// splitRel checks a path relative to a space root and returns its
// segments; "" and "." name the root (no segments) and one trailing "/"
// is allowed (a directory). Everything that could name something outside
// the root, or that different layers could read differently, is refused.
func splitRel(rel string) ([]string, error) {
	if reason := badPathReason(rel); reason != "" {
		return nil, fail(ErrBadPath, "path %q not allowed: %s", rel, reason)
	}
	if rel == "" || rel == "." || rel == "./" {
		return nil, nil
	}
	segs := strings.Split(strings.TrimSuffix(rel, "/"), "/")
	for _, s := range segs {
		if reason := badSegmentReason(s); reason != "" {
			return nil, fail(ErrBadPath, "path %q not allowed: %s", rel, reason)
		}
	}
	return segs, nil
}

// badPathReason says what is wrong with the characters of a path, or "".
func badPathReason(rel string) string {
	switch {
	case len(rel) > maxPathLen:
		return "longer than 4096 bytes"
	case !utf8.ValidString(rel):
		return "not valid UTF-8"
	case strings.HasPrefix(rel, "/"):
		return "absolute (paths are relative to the space root)"
	}
	for _, r := range rel {
		switch {
		case r == 0:
			return "contains a NUL byte"
		case r == '\\':
			return "contains a backslash"
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return "contains a control character"
		}
	}
	return ""
}

// badSegmentReason says what is wrong with one path segment, or "".
func badSegmentReason(s string) string {
	switch {
	case s == "":
		return "contains an empty segment (//)"
	case s == ".":
		return `contains a "." segment`
	case s == "..":
		return `contains a ".." segment`
	case len(s) > maxNameLen:
		return "has a name longer than 255 bytes"
	case strings.HasPrefix(s, reservedPrefix):
		return "uses the reserved prefix " + reservedPrefix
	}
	return ""
}

// checkName checks a name used as one directory of the store layout (a
// user name).
func checkName(field, name string) error {
	reason := badPathReason(name)
	if reason == "" {
		reason = badSegmentReason(name)
	}
	if reason == "" && strings.Contains(name, "/") {
		reason = "contains a /"
	}
	if reason == "" && strings.HasPrefix(name, ".") {
		reason = "starts with a dot"
	}
	if reason != "" {
		return fail(ErrBadPath, "%s %q not allowed: %s", field, name, reason)
	}
	return nil
}

// Resolve returns the absolute path of rel in the space. It refuses paths
// that could leave the space (see splitRel) and paths that cross a
// symbolic link anywhere below the space root, checked with Lstat segment
// by segment (a link is never followed). Missing segments are allowed:
// the path may name something about to be created.
func (sp *Space) Resolve(rel string) (string, error) {
	segs, err := splitRel(rel)
	if err != nil {
		return "", err
	}
	return sp.resolveSegs(rel, segs)
}

func (sp *Space) resolveSegs(rel string, segs []string) (string, error) {
	if err := sp.checkPrefix(rel); err != nil {
		return "", err
	}
	p := sp.dir
	for i, s := range segs {
		p = filepath.Join(p, s)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.Join(sp.dir, filepath.Join(segs...)), nil
		}
		if err != nil {
			return "", wrapf(err, "dataspace: resolving %q", rel)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return "", fail(ErrBadPath, "path %q not allowed: %s is a symbolic link",
				rel, strings.Join(segs[:i+1], "/"))
		}
		if i < len(segs)-1 && !fi.IsDir() {
			return "", fail(ErrNotFound, "path %q: %s is a file, not a directory",
				rel, strings.Join(segs[:i+1], "/"))
		}
		if i == len(segs)-1 && !fi.IsDir() && !fi.Mode().IsRegular() {
			return "", fail(ErrBadPath, "path %q not allowed: not a regular file or directory", rel)
		}
	}
	return p, nil
}

// relPath is the os-specific relative form of segs, for os.Root calls.
func relPath(segs []string) string {
	if len(segs) == 0 {
		return "."
	}
	return filepath.Join(segs...)
}
