package dataspace

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A file's sha256 is cached in a hidden sidecar beside it,
// ".shrike.sum.<hash of the name>", holding "v1 <size> <mtime ns> <sha256>
// <name>"; it is trusted only while the file's size and mtime match.
// Files smaller than sumCacheMin have none: hashing them again costs less
// than creating a file.
const (
	sumPrefix   = reservedPrefix + "sum."
	sumCacheMin = 1 << 20
)

// hiddenName is the name of a hidden companion file of the file called
// name: prefix plus a hash of name and extra (names stay short however
// long the file's name is).
func hiddenName(prefix, name, extra string) string {
	h := sha256.Sum256([]byte(name + "\x00" + extra))
	return prefix + hex.EncodeToString(h[:16])
}

// sidecarPath is the os.Root-relative path of the checksum sidecar of segs.
func sidecarPath(segs []string) string {
	dir, name := segs[:len(segs)-1], segs[len(segs)-1]
	return filepath.Join(append(dir[:len(dir):len(dir)], hiddenName(sumPrefix, name, ""))...)
}

// cachedSum returns the cached sha256 of the file segs described by fi,
// or "" when there is none or it is stale.
func cachedSum(root *os.Root, segs []string, fi fs.FileInfo) string {
	if fi.Size() < sumCacheMin {
		return ""
	}
	data, err := root.ReadFile(sidecarPath(segs))
	if err != nil {
		return ""
	}
	f := strings.SplitN(strings.TrimSuffix(string(data), "\n"), " ", 5)
	if len(f) != 5 || f[0] != "v1" || f[4] != segs[len(segs)-1] ||
		f[1] != strconv.FormatInt(fi.Size(), 10) ||
		f[2] != strconv.FormatInt(fi.ModTime().UnixNano(), 10) || !isSHA256(f[3]) {
		return ""
	}
	return f[3]
}

// writeSidecar caches sum for the file segs described by fi (best effort:
// a cache that cannot be written is recomputed later).
func writeSidecar(root *os.Root, segs []string, fi fs.FileInfo, sum string) {
	if fi.Size() < sumCacheMin {
		return
	}
	line := fmt.Sprintf("v1 %d %d %s %s\n", fi.Size(), fi.ModTime().UnixNano(), sum, segs[len(segs)-1])
	tmp, f, err := createTemp(root, segs[:len(segs)-1])
	if err != nil {
		return
	}
	_, err = f.WriteString(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, sidecarPath(segs))
	}
	if err != nil {
		_ = root.Remove(tmp)
	}
}

// knownSum is the sha256 of the file segs described by fi when it is
// cheap to know: cached, or a small file hashed now; else "".
func knownSum(root *os.Root, segs []string, fi fs.FileInfo) string {
	if fi.Size() >= sumCacheMin {
		return cachedSum(root, segs, fi)
	}
	f, err := root.Open(relPath(segs))
	if err != nil {
		return ""
	}
	defer f.Close()
	sum, _, err := checksum(root, segs, f)
	if err != nil {
		return ""
	}
	return sum
}

// checksum returns the sha256 of the open file f, from the cache when it
// is fresh, else by reading it (and caching the result).
func checksum(root *os.Root, segs []string, f *os.File) (string, fs.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	if sum := cachedSum(root, segs, fi); sum != "" {
		return sum, fi, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, fi.Size())); err != nil {
		return "", nil, fmt.Errorf("dataspace: hashing %s: %w", strings.Join(segs, "/"), err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	writeSidecar(root, segs, fi, sum)
	return sum, fi, nil
}

// createTemp creates a new hidden temporary file in directory dir of root.
func createTemp(root *os.Root, dir []string) (string, *os.File, error) {
	for {
		var b [12]byte
		_, _ = rand.Read(b[:])
		p := filepath.Join(append(dir[:len(dir):len(dir)], reservedPrefix+"tmp."+hex.EncodeToString(b[:]))...)
		f, err := root.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil || !os.IsExist(err) {
			return p, f, err
		}
	}
}

// isSHA256 reports whether s is a lower-case hex sha256.
func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// FormatBytes renders n bytes for people: "512 B", "1.2 MiB".
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// copyFull copies r to w in whole buffers of copyBuf bytes (a network
// body arrives in small reads; the file gets large writes). Only io.EOF
// ends it without an error.
func copyFull(w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, copyBuf)
	var total int64
	for {
		n, err := 0, error(nil)
		for n < len(buf) && err == nil {
			var m int
			m, err = r.Read(buf[n:])
			n += m
		}
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
