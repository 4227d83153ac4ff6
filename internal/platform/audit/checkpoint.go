package audit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is the signed statement "the log named Origin had Size entries with this
// Root" (C2SP tlog-checkpoint).
type Checkpoint struct {
	Origin string
	Size   int64
	Root   []byte
}

// maxCheckpoint bounds what ParseCheckpoint reads: real checkpoints are a few hundred
// bytes, and an exported file may come from anywhere.
const maxCheckpoint = 64 << 10

// checkpointBody is the signed text: origin, decimal size, base64 root, one per line.
func checkpointBody(origin string, size int64, root []byte) string {
	return origin + "\n" + strconv.FormatInt(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root) + "\n"
}

// signCheckpoint returns the note text of the checkpoint for (size, root).
func signCheckpoint(s note.Signer, size int64, root []byte) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: checkpointBody(s.Name(), size, root)}, s)
	if err != nil {
		return nil, fmt.Errorf("audit: sign checkpoint at size %d: %w", size, err)
	}
	return msg, nil
}

// ParseCheckpoint checks the signature on a checkpoint note with v and parses its body.
// The origin must be v's name, so a checkpoint of another log never passes for ours.
func ParseCheckpoint(text []byte, v note.Verifier) (Checkpoint, error) {
	if len(text) > maxCheckpoint {
		return Checkpoint{}, fmt.Errorf("audit checkpoint: %d bytes is too long to be a checkpoint", len(text))
	}
	n, err := note.Open(text, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return Checkpoint{}, fmt.Errorf("audit checkpoint: no valid signature by %s: %w", v.Name(), err)
		}
		return Checkpoint{}, fmt.Errorf("audit checkpoint: %w", err)
	}
	lines := strings.Split(n.Text, "\n") // note.Open guarantees the text ends in "\n"
	if len(lines) < 4 {
		return Checkpoint{}, errors.New("audit checkpoint: needs origin, size and root lines")
	}
	c := Checkpoint{Origin: lines[0]}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("audit checkpoint: origin %q is not this log (%q)", c.Origin, v.Name())
	}
	if c.Size, err = parseSize(lines[1]); err != nil {
		return Checkpoint{}, err
	}
	if c.Root, err = base64.StdEncoding.Strict().DecodeString(lines[2]); err != nil || len(c.Root) != HashSize {
		return Checkpoint{}, fmt.Errorf("audit checkpoint: root %q is not a base64 SHA-256 hash", lines[2])
	}
	return c, nil
}

// parseSize accepts only the C2SP form: ASCII decimal digits, no sign, no leading zero.
func parseSize(s string) (int64, error) {
	bad := s == "" || (len(s) > 1 && s[0] == '0')
	for i := 0; i < len(s) && !bad; i++ {
		bad = s[i] < '0' || s[i] > '9'
	}
	if bad {
		return 0, fmt.Errorf("audit checkpoint: size %q is not a decimal number", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("audit checkpoint: size %q: %w", s, err)
	}
	return n, nil
}
