package infra

import (
	"errors"
	"slices"
	"strings"
)

// splitShellWords splits s into words as a POSIX shell would, without
// expanding anything: blanks separate words, 'single quotes' keep
// everything, "double quotes" keep everything but a backslash before
// \ " $ or `, and a backslash elsewhere keeps the next character.
func splitShellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case r == '\\':
			if i+1 == len(rs) {
				return nil, errors.New("ends with a lone backslash")
			}
			i++
			w.WriteRune(rs[i])
			inWord = true
		case r == '\'':
			n := slices.Index(rs[i+1:], '\'')
			if n < 0 {
				return nil, errors.New("unterminated single quote")
			}
			w.WriteString(string(rs[i+1 : i+1+n]))
			i, inWord = i+1+n, true
		case r == '"':
			i++
			for ; i < len(rs) && rs[i] != '"'; i++ {
				if rs[i] == '\\' && i+1 < len(rs) && strings.ContainsRune("\\\"$`", rs[i+1]) {
					i++
				}
				w.WriteRune(rs[i])
			}
			if i == len(rs) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}
