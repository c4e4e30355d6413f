package jobspec

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// normalizeJSON rewrites the strings of a valid JSON document so that the
// YAML parser reads them exactly as a JSON parser would. YAML lacks the
// "\/" escape and UTF-16 surrogate pairs ("\ud83d\ude00"), and refuses a
// few raw characters that JSON allows (DEL, C1 controls, U+FFFE, ...).
// Line breaks are untouched, so line numbers stay right.
func normalizeJSON(data []byte) []byte {
	out := make([]byte, 0, len(data)+16)
	inString := false
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case !inString:
			inString = c == '"'
			out = append(out, c)
			i++
		case c == '"':
			inString = false
			out = append(out, c)
			i++
		case c == '\\':
			var n int
			out, n = appendEscape(out, data[i:])
			i += n
		default:
			r, n := utf8.DecodeRune(data[i:])
			if yamlPrintable(r) && !(r == utf8.RuneError && n == 1) {
				out = append(out, data[i:i+n]...)
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
			i += n
		}
	}
	return out
}

// appendEscape copies the escape sequence at the start of s (which begins
// with a backslash) in a form YAML understands, and returns its length.
func appendEscape(out, s []byte) ([]byte, int) {
	if len(s) < 2 {
		return append(out, s...), len(s)
	}
	switch s[1] {
	case '/':
		return append(out, '/'), 2
	case 'u':
		r1, ok := hex4(s[2:])
		if !ok {
			return append(out, s[:2]...), 2
		}
		if !utf16.IsSurrogate(r1) {
			return append(out, s[:6]...), 6
		}
		if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
			if r2, ok := hex4(s[8:]); ok {
				if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
					return fmt.Appendf(out, `\U%08x`, r), 12
				}
			}
		}
		return append(out, `\ufffd`...), 6 // a lone surrogate, as encoding/json reads it
	}
	return append(out, s[:2]...), 2
}

// hex4 reads four hex digits.
func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s[:4]), 16, 32)
	return rune(v), err == nil
}

// yamlPrintable reports whether r may appear raw in a YAML double-quoted
// scalar without being refused or read as a line break.
func yamlPrintable(r rune) bool {
	switch {
	case r == 0x7f, r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029:
		return false
	case r == 0xfeff, r == 0xfffe, r == 0xffff:
		return false
	}
	return r >= 0x20
}
