package survey

import (
	"crypto/rand"
	"strings"

	"inoculate/internal/platform/errs"
)

// CodeAlphabet holds the characters of a link code: digits and capital letters
// without 0, 1, I and O, which are easily misread or mistyped (and no lower case, so
// no l). 32 characters: each random byte gives one without bias.
const CodeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// CodeLength is the length of a code: 32^8 ≈ 10^12 codes, beyond guessing at the
// rate the public pages allow.
const CodeLength = 8

func newCode() (string, error) {
	var b [CodeLength]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errs.Wrap(err, "survey: random code")
	}
	for i := range b {
		b[i] = CodeAlphabet[b[i]&31]
	}
	return string(b[:]), nil
}

// NormalizeCode returns code as stored: upper case, surrounding spaces removed, as
// someone might type it from a poster. ok is false when it cannot be a code.
func NormalizeCode(code string) (string, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) != CodeLength {
		return "", false
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(CodeAlphabet, code[i]) < 0 {
			return "", false
		}
	}
	return code, true
}
