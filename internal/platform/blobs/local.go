package blobs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"strings"
	"time"
)

// Local stores blobs as files under one directory, opened as an os.Root so that no key,
// symlink or race can reach outside it. A blob is written to a hidden temporary file
// beside its final name, fsync'd, renamed over the key and the directory fsync'd: after
// a crash a key holds the old blob or the complete new one, and the leftovers are
// hidden files that RemoveTemp clears.
type Local struct {
	root *os.Root
}

// tempPrefix starts the names of files being written; keys never start with a dot.
const tempPrefix = ".put-"

// NewLocal opens (creating if needed, mode 0700) the directory dir as a blob store.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blobs: create %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("blobs: open %s: %w", dir, err)
	}
	return &Local{root: root}, nil
}

// Close releases the directory.
func (l *Local) Close() error { return l.root.Close() }

func (l *Local) String() string { return "blobs.Local(" + l.root.Name() + ")" }

// Put writes r under key and returns the number of bytes stored.
func (l *Local) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	dir := path.Dir(key)
	f, tmp, err := l.createTemp(dir)
	if err != nil {
		return 0, err
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			l.root.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err != nil {
		return 0, fmt.Errorf("blobs: write %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("blobs: sync %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("blobs: close %s: %w", key, err)
	}
	if err := l.root.Rename(tmp, key); err != nil {
		return 0, fmt.Errorf("blobs: rename into %s: %w", key, err)
	}
	committed = true
	if err := l.syncDir(dir); err != nil {
		return 0, err
	}
	return n, nil
}

// createTemp makes the directory of a key and a new hidden file in it. A concurrent
// Delete may prune the directory between the two steps, hence one retry.
func (l *Local) createTemp(dir string) (*os.File, string, error) {
	var lastErr error
	for range 2 {
		if dir != "." {
			if err := l.root.MkdirAll(dir, 0o700); err != nil {
				return nil, "", fmt.Errorf("blobs: create directory %s: %w", dir, err)
			}
		}
		tmp := path.Join(dir, tempPrefix+strings.ToLower(rand.Text()))
		f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, tmp, nil
		}
		lastErr = err
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	return nil, "", fmt.Errorf("blobs: create temporary file in %s: %w", dir, lastErr)
}

// syncDir makes a rename in dir durable. Windows cannot fsync a directory.
func (l *Local) syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := l.root.Open(dir)
	if err != nil {
		return fmt.Errorf("blobs: open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blobs: sync directory %s: %w", dir, err)
	}
	return nil
}

// Get opens the blob under key.
func (l *Local) Get(_ context.Context, key string) (io.ReadCloser, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	f, err := l.root.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blobs: open %s: %w", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blobs: stat %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, ErrNotFound
	}
	return f, nil
}

// Stat returns the size of the blob under key.
func (l *Local) Stat(_ context.Context, key string) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	fi, err := l.root.Stat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("blobs: stat %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, ErrNotFound
	}
	return fi.Size(), nil
}

// Delete removes the blob under key, then the directories it leaves empty.
func (l *Local) Delete(_ context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if fi, err := l.root.Lstat(key); err == nil && fi.IsDir() {
		return ErrNotFound // a key names a file; never remove a directory tree by key
	}
	if err := l.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blobs: delete %s: %w", key, err)
	}
	for dir := path.Dir(key); dir != "."; dir = path.Dir(dir) {
		if l.root.Remove(dir) != nil {
			break // not empty (or just refilled): stop pruning
		}
	}
	return nil
}

// List returns the keys that start with prefix, in lexical order, skipping files being
// written.
func (l *Local) List(_ context.Context, prefix string) ([]string, error) {
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		start = prefix[:i]
	}
	var keys []string
	err := fs.WalkDir(l.root.FS(), start, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && name == start {
				return fs.SkipAll
			}
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && name != "." {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && strings.HasPrefix(name, prefix) && CheckKey(name) == nil {
			keys = append(keys, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blobs: list %q: %w", prefix, err)
	}
	return keys, nil
}

// RemoveTemp deletes temporary files older than age: the remains of writes cut short
// by a crash. Call it at start-up with an age longer than any write takes.
func (l *Local) RemoveTemp(age time.Duration) (int, error) {
	cutoff := time.Now().Add(-age)
	removed := 0
	err := fs.WalkDir(l.root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		if fi.ModTime().Before(cutoff) {
			if err := l.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			removed++
		}
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("blobs: remove temporary files: %w", err)
	}
	return removed, nil
}
