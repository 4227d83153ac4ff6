package blobs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"inoculate/internal/platform/errs"
)

// newS3 starts an in-process S3 server and returns a store over a fresh bucket.
func newS3(t *testing.T) *S3 {
	t.Helper()
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewServer(faker.Server())
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:  credentials.NewStaticV4("test-access", "test-secret", ""),
		Secure: false,
		Region: "us-east-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.MakeBucket(t.Context(), "media", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	return NewS3(client, "media", "tenant-1")
}

func newLocal(t *testing.T) (*Local, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, dir
}

type lister interface {
	List(ctx context.Context, prefix string) ([]string, error)
}

// failingReader yields n bytes of data and then fails, like a dropped connection.
type failingReader struct {
	data []byte
}

var errDropped = errors.New("connection dropped")

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, errDropped
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// testStoreConformance is the contract every backend keeps.
func testStoreConformance(t *testing.T, s Store) {
	ctx := t.Context()
	t.Run("round trip", func(t *testing.T) {
		for _, size := range []int{0, 1, SegmentSize, 3<<20 + 5} {
			key := "rt/" + strings.Repeat("x", size%7+1)
			data := randomBytes(t, size)
			n, err := s.Put(ctx, key, bytes.NewReader(data))
			if err != nil || n != int64(size) {
				t.Fatalf("Put %d bytes = %d, %v", size, n, err)
			}
			if n, err := s.Stat(ctx, key); err != nil || n != int64(size) {
				t.Fatalf("Stat = %d, %v; want %d", n, err, size)
			}
			rc, err := s.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Get returned %d bytes, %v; want the %d put", len(got), err, size)
			}
		}
	})
	t.Run("overwrite", func(t *testing.T) {
		mustPut(t, s, "ow/a", []byte("first"))
		mustPut(t, s, "ow/a", []byte("second, longer"))
		if got := mustGet(t, s, "ow/a"); string(got) != "second, longer" {
			t.Fatalf("after overwrite got %q", got)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := s.Get(ctx, "no/such-blob"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get missing: %v, want ErrNotFound", err)
		}
		if _, err := s.Stat(ctx, "no/such-blob"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Stat missing: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "no/such-blob"); err != nil {
			t.Fatalf("Delete missing: %v", err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		mustPut(t, s, "del/x/y", []byte("gone soon"))
		if err := s.Delete(ctx, "del/x/y"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, "del/x/y"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Stat after Delete: %v", err)
		}
	})
	t.Run("interrupted put leaves nothing", func(t *testing.T) {
		key := "cut/recording"
		// Below and above the S3 part size: one PUT, and an aborted multipart upload.
		for _, size := range []int{5 << 20, 20 << 20} {
			_, err := s.Put(ctx, key, &failingReader{data: randomBytes(t, size)})
			if err == nil {
				t.Fatal("Put from a failing reader succeeded")
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("after a failed Put of %d bytes, Stat = %v; want ErrNotFound", size, err)
			}
		}
		// A failed overwrite keeps the old blob whole.
		mustPut(t, s, key, []byte("old and whole"))
		if _, err := s.Put(ctx, key, &failingReader{data: randomBytes(t, 100)}); err == nil {
			t.Fatal("Put from a failing reader succeeded")
		}
		if got := mustGet(t, s, key); string(got) != "old and whole" {
			t.Fatalf("failed overwrite left %q", got)
		}
	})
	t.Run("cancelled put leaves nothing", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(cctx, "cancelled/x", bytes.NewReader(randomBytes(t, 1<<20))); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
		if _, err := s.Stat(ctx, "cancelled/x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Stat = %v; want ErrNotFound", err)
		}
	})
	t.Run("bad keys refused", func(t *testing.T) {
		for _, key := range badKeys {
			if _, err := s.Put(ctx, key, strings.NewReader("x")); !errs.Is(err, errs.Invalid) {
				t.Errorf("Put(%q) = %v; want an Invalid error", key, err)
			}
			if _, err := s.Get(ctx, key); !errs.Is(err, errs.Invalid) {
				t.Errorf("Get(%q) = %v; want an Invalid error", key, err)
			}
			if _, err := s.Stat(ctx, key); !errs.Is(err, errs.Invalid) {
				t.Errorf("Stat(%q) = %v; want an Invalid error", key, err)
			}
			if err := s.Delete(ctx, key); !errs.Is(err, errs.Invalid) {
				t.Errorf("Delete(%q) = %v; want an Invalid error", key, err)
			}
		}
	})
	t.Run("list", func(t *testing.T) {
		mustPut(t, s, "list/a/1", []byte("1"))
		mustPut(t, s, "list/a/2", []byte("2"))
		mustPut(t, s, "list/b", []byte("3"))
		keys, err := s.(lister).List(ctx, "list/a/")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(keys, ",") != "list/a/1,list/a/2" {
			t.Fatalf("List(list/a/) = %v", keys)
		}
	})
}

var badKeys = []string{
	"", "/etc/passwd", "../outside", "a/../../outside", "a/..", "..", ".", "a/./b", "a//b",
	"a/", ".hidden", "a/.put-x", "UPPER", `a\b`, "a b", "a\x00b", "é", "a:b", "a?b",
	strings.Repeat("a", MaxKeyLen+1),
}

func mustPut(t *testing.T, s Store, key string, data []byte) {
	t.Helper()
	if _, err := s.Put(t.Context(), key, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
}

func mustGet(t *testing.T, s Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

func TestLocalConformance(t *testing.T) {
	l, _ := newLocal(t)
	testStoreConformance(t, l)
}

func TestS3Conformance(t *testing.T) {
	testStoreConformance(t, newS3(t))
}

func TestCheckKeyAccepts(t *testing.T) {
	for _, key := range []string{"a", "testimonies/01j9/original", "t-1/r_2/v1.2.enc", "a/b.c/d-e_f", strings.Repeat("a", MaxKeyLen)} {
		if err := CheckKey(key); err != nil {
			t.Errorf("CheckKey(%q) = %v", key, err)
		}
	}
}

// TestLocalNoTraversal checks that nothing lands outside the directory, whatever the
// key, and that a symlink planted inside cannot lead out (os.Root refuses it).
func TestLocalNoTraversal(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "blobs")
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := t.Context()
	for _, key := range badKeys {
		if _, err := l.Put(ctx, key, strings.NewReader("escaped")); err == nil {
			t.Errorf("Put(%q) succeeded", key)
		}
	}
	outside := filepath.Join(parent, "secret")
	if err := os.WriteFile(outside, []byte("outside the store"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(parent, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Get(ctx, "link/secret"); err == nil {
		t.Error("Get through a symlink out of the store succeeded")
	}
	if _, err := l.Put(ctx, "link/planted", strings.NewReader("x")); err == nil {
		t.Error("Put through a symlink out of the store succeeded")
	}
	// Nothing but the original file and the store directory in the parent.
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "blobs" && e.Name() != "secret" {
			t.Errorf("file %q appeared outside the store", e.Name())
		}
	}
}

// TestLocalInterruptedPutLeavesNoFile looks at the directory itself: no file at all,
// not even a temporary one, after a Put whose source failed half-way.
func TestLocalInterruptedPutLeavesNoFile(t *testing.T) {
	l, dir := newLocal(t)
	if _, err := l.Put(t.Context(), "t1/original", &failingReader{data: randomBytes(t, 300<<10)}); !errors.Is(err, errDropped) {
		t.Fatalf("Put = %v; want the reader's error", err)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("file left behind: %s", p)
		}
		return nil
	})
}

func TestLocalDeletePrunesDirectories(t *testing.T) {
	l, dir := newLocal(t)
	mustPut(t, l, "a/b/c", []byte("x"))
	mustPut(t, l, "a/d", []byte("y"))
	if err := l.Delete(t.Context(), "a/b/c"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "b")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty directory a/b kept: %v", err)
	}
	if got := mustGet(t, l, "a/d"); string(got) != "y" {
		t.Errorf("sibling blob damaged: %q", got)
	}
	if err := l.Delete(t.Context(), "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete of a directory = %v; want ErrNotFound", err)
	}
}

func TestLocalRemoveTemp(t *testing.T) {
	l, dir := newLocal(t)
	mustPut(t, l, "x/keep", []byte("k"))
	stale := filepath.Join(dir, "x", tempPrefix+"crashed")
	fresh := filepath.Join(dir, "x", tempPrefix+"writing")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	keys, err := l.List(t.Context(), "x/")
	if err != nil || strings.Join(keys, ",") != "x/keep" {
		t.Fatalf("List shows %v, %v; temporary files must be hidden", keys, err)
	}
	n, err := l.RemoveTemp(time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("RemoveTemp = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Error("stale temporary file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("fresh temporary file removed: it may be a write in progress")
	}
}
