package returnees_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"testing"

	"inoculate/internal/platform/audit"
)

func auditFilter() audit.Filter { return audit.Filter{Limit: 100} }

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// base64Variants are the stable middle parts of s's base64 encoding at each of the
// three byte alignments it can start at inside a longer value.
func base64Variants(s string) []string {
	var out []string
	for pad := 0; pad < 3; pad++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, pad), s...))
		// Drop the characters touched by the padding bytes and the tail.
		start := (pad*8 + 5) / 6
		if len(enc) > start+8 {
			out = append(out, enc[start+2:len(enc)-4])
		}
	}
	return out
}
