package vault

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestKeyFileCreateAndReopen(t *testing.T) {
	ctx := context.Background()
	path := keyPath(t)
	k := openKeys(t, path)
	if !k.Created() || k.Path() != path {
		t.Fatalf("Created = %v, Path = %q", k.Created(), k.Path())
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode: %v %v", fi.Mode(), err)
		}
		di, err := os.Stat(filepath.Dir(path))
		if err != nil || di.Mode().Perm() != 0o700 {
			t.Fatalf("key dir mode: %v %v", di.Mode(), err)
		}
	}
	if err := k.EnsureTenant(ctx, "A"); err != nil {
		t.Fatal(err)
	}
	dek, _ := randomKey()
	ver, w, err := k.Wrap(ctx, "A", dek, []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.MarkShredded("A", "gone"); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode after a save: %v", fi.Mode())
		}
	}

	k2 := openKeys(t, path)
	if k2.Created() {
		t.Fatal("reopen reports Created")
	}
	if got, err := k2.Unwrap(ctx, "A", ver, w, []byte("ad")); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("unwrap after reopen: %v", err)
	}
	if !bytes.Equal(k.Secret("login-throttle"), k2.Secret("login-throttle")) {
		t.Fatal("Secret differs after reopen")
	}
	if k.AuditVerifierKey() != k2.AuditVerifierKey() || !strings.HasPrefix(k.AuditVerifierKey(), AuditKeyName+"+") {
		t.Fatalf("verifier key %q / %q", k.AuditVerifierKey(), k2.AuditVerifierKey())
	}
	if !k2.Shredded("gone") || k2.Shredded("other") {
		t.Fatal("tombstone not persisted")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("key dir holds %d entries (temp files left?)", len(entries))
	}
}

func TestKeyFileAuditSigner(t *testing.T) {
	k := openKeys(t, keyPath(t))
	s, err := k.AuditSigner()
	if err != nil {
		t.Fatal(err)
	}
	v, err := k.AuditVerifier()
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != AuditKeyName || v.Name() != AuditKeyName || s.KeyHash() != v.KeyHash() {
		t.Fatalf("signer %s/%08x, verifier %s/%08x", s.Name(), s.KeyHash(), v.Name(), v.KeyHash())
	}
	msg, err := note.Sign(&note.Note{Text: "inoculate checkpoint\n42\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		t.Fatalf("checkpoint does not verify: %v", err)
	}
	other := openKeys(t, keyPath(t))
	ov, _ := other.AuditVerifier()
	if _, err := note.Open(msg, note.VerifierList(ov)); err == nil {
		t.Fatal("another key file's verifier accepted the checkpoint")
	}
}

func TestKeyFileSecret(t *testing.T) {
	k := openKeys(t, keyPath(t))
	a, b := k.Secret("a"), k.Secret("b")
	if len(a) != 32 || bytes.Equal(a, b) || !bytes.Equal(a, k.Secret("a")) {
		t.Fatal("Secret is not 32 bytes, deterministic and per purpose")
	}
	other := openKeys(t, keyPath(t))
	if bytes.Equal(a, other.Secret("a")) {
		t.Fatal("two key files derive the same secret")
	}
}

func TestKeyFileRefusesGroupReadable(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	path := keyPath(t)
	openKeys(t, path)
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o602} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := OpenKeyFile(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("mode %04o: err = %v, want a refusal saying chmod 600", mode, err)
		}
	}
	os.Chmod(path, 0o600)
	openKeys(t, path)
}

func TestKeyFileDamaged(t *testing.T) {
	path := keyPath(t)
	openKeys(t, path)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseKeyFile(good)
	if err != nil {
		t.Fatal(err)
	}
	rootB64 := base64.StdEncoding.EncodeToString(st.data.Root)
	cases := map[string][]byte{
		"garbage":      []byte("\x00\x01not json"),
		"empty":        {},
		"truncated":    good[:len(good)/2],
		"no format":    []byte(`{"root":"AAAA"}`),
		"wrong format": bytes.Replace(good, []byte(keyFileFormat), []byte("inoculate-keyfile/v9"), 1),
		"short root":   bytes.Replace(good, []byte(rootB64), []byte(base64.StdEncoding.EncodeToString([]byte("short"))), 1),
		"bad signer":   bytes.Replace(good, []byte("PRIVATE+KEY+"), []byte("PRIVATE+KEX+"), 1),
		"unknown key":  bytes.Replace(good, []byte(`"format"`), []byte(`"extra": 1, "format"`), 1),
		"trailing":     append(bytes.Clone(good), []byte(`{}`)...),
	}
	for name, b := range cases {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := OpenKeyFile(path)
		if err == nil {
			t.Errorf("%s: opened", name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "is damaged") || !strings.Contains(msg, "restore it from your key backup") || !strings.Contains(msg, path) {
			t.Errorf("%s: unclear error: %s", name, msg)
		}
		if strings.Contains(msg, rootB64[:12]) {
			t.Errorf("%s: error quotes key material: %s", name, msg)
		}
	}
}

func TestEnsureTenantIdempotent(t *testing.T) {
	ctx := context.Background()
	path := keyPath(t)
	k := openKeys(t, path)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := k.EnsureTenant(ctx, "A"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	before, _ := os.ReadFile(path)
	if err := k.EnsureTenant(ctx, "A"); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a second EnsureTenant changed the key file")
	}
	st, _ := parseKeyFile(after)
	if n := len(st.data.Tenants["A"].KEKs); n != 1 {
		t.Fatalf("%d KEKs for tenant A", n)
	}
	if err := k.EnsureTenant(ctx, ""); err == nil {
		t.Fatal("empty tenant id accepted")
	}
}

func TestKeyFileNeverPrintsKeys(t *testing.T) {
	k := openKeys(t, keyPath(t))
	root := base64.StdEncoding.EncodeToString(k.st.data.Root)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%+v %#v %s %x %q", k, k, k, k, k), fmt.Sprintf("%v", *New(k, k))} {
		if strings.Contains(s, root[:12]) || strings.Contains(s, "PRIVATE") || strings.Contains(s, fmt.Sprintf("%x", k.st.data.Root[:8])) {
			t.Fatalf("formatting leaks key material: %s", s)
		}
	}
}

func TestKeyFileConcurrentCreate(t *testing.T) {
	path := keyPath(t)
	const n = 8
	vkeys := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, err := OpenKeyFile(path)
			if err != nil {
				t.Error(err)
				return
			}
			vkeys[i] = k.AuditVerifierKey()
		})
	}
	wg.Wait()
	for _, v := range vkeys {
		if v != vkeys[0] {
			t.Fatal("concurrent first starts produced different key files")
		}
	}
}
