package audit

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func testKey(t testing.TB, name string) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func TestCheckpointRoundTrip(t *testing.T) {
	s, v := testKey(t, "inoculate-audit")
	root := LeafHash([]byte("x"))
	cp, err := signCheckpoint(s, 42, root)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCheckpoint(cp, v)
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin != "inoculate-audit" || c.Size != 42 || !bytes.Equal(c.Root, root) {
		t.Fatalf("parsed %+v", c)
	}
	if !strings.HasPrefix(string(cp), "inoculate-audit\n42\n") {
		t.Fatalf("not a C2SP checkpoint:\n%s", cp)
	}
}

func TestParseCheckpointRejects(t *testing.T) {
	s, v := testKey(t, "inoculate-audit")
	other, _ := testKey(t, "inoculate-audit") // same name, another key
	foreign, fv := testKey(t, "other-log")    // another log
	sign := func(signer note.Signer, body string) []byte {
		msg, err := note.Sign(&note.Note{Text: body}, signer)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	root := "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	good := sign(s, "inoculate-audit\n5\n"+root+"\n")
	if _, err := ParseCheckpoint(good, v); err != nil {
		t.Fatalf("good checkpoint: %v", err)
	}
	tampered := bytes.Replace(good, []byte("\n5\n"), []byte("\n6\n"), 1)
	for name, text := range map[string][]byte{
		"tampered size": tampered,
		"other key":     sign(other, "inoculate-audit\n5\n"+root+"\n"),
		"leading zero":  sign(s, "inoculate-audit\n05\n"+root+"\n"),
		"signed size":   sign(s, "inoculate-audit\n+5\n"+root+"\n"),
		"negative size": sign(s, "inoculate-audit\n-5\n"+root+"\n"),
		"huge size":     sign(s, "inoculate-audit\n99999999999999999999\n"+root+"\n"),
		"short root":    sign(s, "inoculate-audit\n5\nAAAA\n"),
		"bad base64":    sign(s, "inoculate-audit\n5\n!!!\n"),
		"missing root":  sign(s, "inoculate-audit\n5\n"),
		"wrong origin":  sign(s, "other\n5\n"+root+"\n"),
		"unsigned":      []byte("inoculate-audit\n5\n" + root + "\n\n"),
		"empty":         nil,
		"huge":          bytes.Repeat([]byte("a"), maxCheckpoint+1),
	} {
		if c, err := ParseCheckpoint(text, v); err == nil {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
	// A checkpoint of another log, verified with its own key, is still not ours.
	if _, err := ParseCheckpoint(sign(foreign, "inoculate-audit\n5\n"+root+"\n"), fv); err == nil {
		t.Error("origin differing from the key name accepted")
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "inoculate-audit")
	if err != nil {
		f.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	good, _ := signCheckpoint(s, 7, EmptyRoot())
	f.Add(good)
	f.Add([]byte("inoculate-audit\n7\nAAAA\n\n— inoculate-audit AAAA\n"))
	f.Add([]byte(""))
	f.Add([]byte("\n\n\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := ParseCheckpoint(text, v)
		if err == nil && (c.Size < 0 || len(c.Root) != HashSize || c.Origin != v.Name()) {
			t.Fatalf("accepted malformed checkpoint %+v", c)
		}
	})
}

func BenchmarkCheckpointVerify(b *testing.B) {
	s, v := testKey(b, "inoculate-audit")
	root := LeafHash([]byte("root"))
	cp, err := signCheckpoint(s, 1<<20, root)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		c, err := ParseCheckpoint(cp, v)
		if err != nil || !equalHash(c.Root, root) {
			b.Fatal("checkpoint does not verify", err)
		}
	}
}

func BenchmarkCheckpointSign(b *testing.B) {
	s, _ := testKey(b, "inoculate-audit")
	root := LeafHash([]byte("root"))
	for b.Loop() {
		if _, err := signCheckpoint(s, 1<<20, root); err != nil {
			b.Fatal(err)
		}
	}
}
