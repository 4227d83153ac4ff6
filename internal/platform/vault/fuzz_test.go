package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/google/uuid"

	"inoculate/internal/platform/store/storetest"
)

// FuzzParseKeyFile: the key file parser never panics, and whatever it accepts
// survives a save and reload unchanged.
func FuzzParseKeyFile(f *testing.F) {
	path := keyPath(f)
	k := openKeys(f, path)
	if err := k.EnsureTenant(context.Background(), "A"); err != nil {
		f.Fatal(err)
	}
	if err := k.MarkShredded("A", "s"); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":"inoculate-keyfile/v1"}`))
	f.Add([]byte(`{"format":"inoculate-keyfile/v1","tenants":{"":null},"tombstones":[{}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseKeyFile(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(&st.data)
		if err != nil {
			t.Fatalf("accepted file does not encode: %v", err)
		}
		st2, err := parseKeyFile(again)
		if err != nil {
			t.Fatalf("accepted file does not reload: %v", err)
		}
		if st2.vkey != st.vkey || len(st2.aeads) != len(st.aeads) || len(st2.shredded) != len(st.shredded) {
			t.Fatal("reload changed the keys")
		}
	})
}

// FuzzOpen: Open never panics on arbitrary ciphertext bytes and never succeeds except
// for the exact ciphertext Seal produced.
func FuzzOpen(f *testing.F) {
	db := storetest.SQLite(f)
	v, _ := newVault(f)
	r := ref(newTenant(f, db), uuid.NewString())
	valid := mustSeal(f, db, v, r, []byte("fuzz target"))
	f.Add(valid)
	f.Add(valid[:minSealed])
	f.Add([]byte{})
	f.Add([]byte{formatV1})
	f.Add(append([]byte{formatV1}, make([]byte, minSealed)...))
	f.Add(append([]byte{2}, valid[1:]...))
	f.Fuzz(func(t *testing.T, ct []byte) {
		pt, err := v.Open(context.Background(), db.Reader(), r, ct)
		if err == nil {
			if !bytes.Equal(ct, valid) || string(pt) != "fuzz target" {
				t.Fatalf("Open accepted a forged ciphertext (%d bytes)", len(ct))
			}
			return
		}
		if !errors.Is(err, ErrTampered) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
