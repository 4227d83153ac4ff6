package vault

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// KeyEncrypter wraps and unwraps data keys with a tenant's key-encryption key. It is the
// seam where a KMS or HSM can replace the key file later (SECURITY.md P32).
type KeyEncrypter interface {
	// EnsureTenant creates the tenant's KEK if missing, durably, before returning.
	EnsureTenant(ctx context.Context, tenantID string) error
	// Wrap encrypts dek under the tenant's current KEK, binding ad, the tenant and the
	// KEK version; it returns that version with the wrapped key.
	Wrap(ctx context.Context, tenantID string, dek, ad []byte) (version int, wrapped []byte, err error)
	// Unwrap reverses Wrap; a wrong tenant, version, ad or altered bytes give ErrTampered.
	Unwrap(ctx context.Context, tenantID string, version int, wrapped, ad []byte) ([]byte, error)
}

// Tombstoner records shredded subjects outside the database, so a restored database
// backup cannot bring them back. *KeyFile implements it.
type Tombstoner interface {
	MarkShredded(tenantID, subject string) error
	Shredded(subject string) bool
}

const (
	keyFileFormat = "inoculate-keyfile/v1"
	// AuditKeyName is the note key name of the audit checkpoint signer.
	AuditKeyName = "inoculate-audit"
	maxKeyFile   = 64 << 20 // tombstones grow the file; far beyond any real size
)

// fileData is the JSON form of the key file. []byte fields are base64 in JSON.
type fileData struct {
	Format      string                 `json:"format"`
	Created     time.Time              `json:"created"`
	Root        []byte                 `json:"root"`         // HKDF input for Secret
	AuditSigner string                 `json:"audit_signer"` // note signer key (Ed25519)
	Tenants     map[string]*tenantKEKs `json:"tenants"`
	Tombstones  []tombstone            `json:"tombstones"`
}

// tenantKEKs is a list so rotation can add versions; the current one is the highest.
// KEKs are random rather than derived from the root secret so that one version can be
// destroyed on its own (P30, P31).
type tenantKEKs struct {
	KEKs []kekEntry `json:"keks"`
}

type kekEntry struct {
	Version int       `json:"version"`
	Key     []byte    `json:"key"`
	Created time.Time `json:"created"`
}

type tombstone struct {
	Subject string    `json:"subject"`
	Tenant  string    `json:"tenant"`
	At      time.Time `json:"at"`
}

type kekID struct {
	tenant  string
	version int
}

// keyState is a parsed, validated key file with what is derived from it.
type keyState struct {
	data     fileData
	aeads    map[kekID]cipher.AEAD
	current  map[string]int // tenant → highest KEK version
	shredded map[string]struct{}
	vkey     string
}

// KeyFile keeps KEKs, the root secret, the audit signing key and tombstones in a JSON
// file outside the database. Every change is written atomically and durably before it
// is used. It never prints its contents (String, GoString, LogValue show the path).
type KeyFile struct {
	path    string
	created bool

	mu    sync.RWMutex
	st    *keyState
	dirty bool // a tombstone is in memory but its save failed: retry on the next change
}

// OpenKeyFile opens the key file at path, creating it (mode 0600, parent directory
// 0700) with a fresh root secret and audit key if it does not exist. It refuses a file
// that group or other users can access.
func OpenKeyFile(path string) (*KeyFile, error) {
	if path == "" {
		return nil, errors.New("vault: no key file path configured")
	}
	for range 2 {
		k, err := loadKeyFile(path)
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return k, err
		}
		k, err = createKeyFile(path)
		if err == nil || !errors.Is(err, fs.ErrExist) {
			return k, err
		}
		// Another process created it between our stat and link: load theirs.
	}
	return nil, fmt.Errorf("vault: key file %s appears and disappears; check what else manages it", path)
}

func loadKeyFile(path string) (*KeyFile, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("vault: open key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("vault: stat key file: %w", err)
	}
	if err := checkPrivate(path, fi); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("vault: read key file %s: %w", path, err)
	}
	defer clear(b)
	if len(b) > maxKeyFile {
		return nil, damaged(path, fmt.Errorf("larger than %d bytes", maxKeyFile))
	}
	st, err := parseKeyFile(b)
	if err != nil {
		return nil, damaged(path, err)
	}
	return &KeyFile{path: path, st: st}, nil
}

func damaged(path string, err error) error {
	return fmt.Errorf("vault: key file %s is damaged: %w; restore it from your key backup (without it, encrypted fields cannot be read)", path, err)
}

// checkPrivate refuses key files other users could read or replace. Windows has no
// Unix modes; there the directory ACL must protect the file.
func checkPrivate(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("vault: key file %s is not a regular file", path)
	}
	if runtime.GOOS == "windows" {
		return nil
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("vault: key file %s has mode %04o, so group or other users can access it; "+
			"restrict it with: chmod 600 %s (and consider rotating keys if others may have read it)", path, perm, path)
	}
	return nil
}

func createKeyFile(path string) (*KeyFile, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("vault: create key file directory: %w", err)
	}
	root, err := randomKey()
	if err != nil {
		return nil, err
	}
	skey, _, err := note.GenerateKey(rand.Reader, AuditKeyName)
	if err != nil {
		return nil, fmt.Errorf("vault: generate audit signing key: %w", err)
	}
	d := fileData{
		Format:      keyFileFormat,
		Created:     time.Now().UTC().Truncate(time.Second),
		Root:        root,
		AuditSigner: skey,
		Tenants:     map[string]*tenantKEKs{},
		Tombstones:  []tombstone{},
	}
	b, err := json.MarshalIndent(&d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("vault: encode key file: %w", err)
	}
	defer clear(b)
	st, err := parseKeyFile(b) // one path builds the in-memory state: what we load is what we wrote
	if err != nil {
		return nil, fmt.Errorf("vault: new key file: %w", err)
	}
	tmp, err := writeTemp(dir, filepath.Base(path), b)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	// Link, unlike rename, never replaces an existing file: two processes starting at
	// once must not overwrite each other's keys.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		// Some file systems have no hard links; fall back to a checked rename.
		if _, serr := os.Lstat(path); serr == nil {
			return nil, fs.ErrExist
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, fmt.Errorf("vault: create key file: %w", err)
		}
	}
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("vault: remove temporary key file: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return &KeyFile{path: path, created: true, st: st}, nil
}

// parseKeyFile decodes and validates the file bytes. Its errors say what is wrong
// without quoting key material.
func parseKeyFile(b []byte) (*keyState, error) {
	var head struct {
		Format *string `json:"format"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("not valid JSON (%s)", jsonProblem(err))
	}
	switch {
	case head.Format == nil:
		return nil, errors.New(`no "format" field`)
	case *head.Format != keyFileFormat:
		if strings.HasPrefix(*head.Format, "inoculate-keyfile/") {
			return nil, fmt.Errorf("format %q is not %q: it was written by another version of Inoculate", *head.Format, keyFileFormat)
		}
		return nil, fmt.Errorf("format %q is not an Inoculate key file", *head.Format)
	}
	var d fileData
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("unexpected content (%s)", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}

	if len(d.Root) != keySize {
		return nil, fmt.Errorf("root secret is %d bytes, want %d", len(d.Root), keySize)
	}
	st := &keyState{
		data:     d,
		aeads:    map[kekID]cipher.AEAD{},
		current:  map[string]int{},
		shredded: map[string]struct{}{},
	}
	signer, err := note.NewSigner(d.AuditSigner)
	if err != nil {
		return nil, fmt.Errorf("audit signer key is invalid (%v)", err)
	}
	if signer.Name() != AuditKeyName {
		return nil, fmt.Errorf("audit signer key is named %q, want %q", signer.Name(), AuditKeyName)
	}
	if st.vkey, err = verifierKey(d.AuditSigner); err != nil {
		return nil, err
	}
	if st.data.Tenants == nil {
		st.data.Tenants = map[string]*tenantKEKs{}
	}
	for tenant, tk := range st.data.Tenants {
		if tenant == "" {
			return nil, errors.New("a tenant has an empty id")
		}
		if tk == nil || len(tk.KEKs) == 0 {
			return nil, fmt.Errorf("tenant %q has no keys", tenant)
		}
		for _, e := range tk.KEKs {
			id := kekID{tenant, e.Version}
			if e.Version < 1 {
				return nil, fmt.Errorf("tenant %q has a key with version %d, want ≥ 1", tenant, e.Version)
			}
			if _, dup := st.aeads[id]; dup {
				return nil, fmt.Errorf("tenant %q has key version %d twice", tenant, e.Version)
			}
			if len(e.Key) != keySize {
				return nil, fmt.Errorf("tenant %q key version %d is %d bytes, want %d", tenant, e.Version, len(e.Key), keySize)
			}
			a, err := newAEAD(e.Key)
			if err != nil {
				return nil, err
			}
			st.aeads[id] = a
			st.current[tenant] = max(st.current[tenant], e.Version)
		}
	}
	if st.data.Tombstones == nil {
		st.data.Tombstones = []tombstone{}
	}
	for i, t := range st.data.Tombstones {
		if t.Subject == "" {
			return nil, fmt.Errorf("tombstone %d has no subject", i+1)
		}
		st.shredded[t.Subject] = struct{}{}
	}
	return st, nil
}

// jsonProblem describes a JSON error by kind and position only: the file holds keys,
// and a message quoting it could end up in a log.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong type", typ.Field)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the file ends too early (truncated?)"
	case strings.Contains(err.Error(), "unknown field"):
		return err.Error() // names the field, never a value
	default:
		return "a value is malformed"
	}
}

// verifierKey derives the public verifier key from a note signer key, so the file
// cannot hold a verifier that does not match its signer.
func verifierKey(skey string) (string, error) {
	// PRIVATE+KEY+name+hash+base64: split at most 5 ways, base64 itself may hold '+'.
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("audit signer key is malformed")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 { // 1 = note's Ed25519 algorithm byte
		clear(raw)
		return "", errors.New("audit signer key is not an Ed25519 key")
	}
	defer clear(raw)
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	v, err := note.NewEd25519VerifierKey(AuditKeyName, pub)
	if err != nil {
		return "", fmt.Errorf("audit verifier key: %v", err)
	}
	return v, nil
}

// save writes the state atomically and durably: a temp file in the same directory,
// fsync, rename over the old file, fsync the directory. A crash leaves either the old
// or the new file, never a mix. The caller holds k.mu.
func (k *KeyFile) save() error {
	b, err := json.MarshalIndent(&k.st.data, "", "  ")
	if err != nil {
		return fmt.Errorf("vault: encode key file: %w", err)
	}
	defer clear(b)
	dir := filepath.Dir(k.path)
	tmp, err := writeTemp(dir, filepath.Base(k.path), b)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, k.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("vault: replace key file %s: %w", k.path, err)
	}
	return syncDir(dir)
}

func writeTemp(dir, base string, b []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+base+".tmp-*") // CreateTemp uses mode 0600
	if err != nil {
		return "", fmt.Errorf("vault: write key file: %w", err)
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", fmt.Errorf("vault: write key file: %w", err)
	}
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return fail(err)
	}
	if _, err := f.Write(b); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("vault: write key file: %w", err)
	}
	return name, nil
}

// syncDir makes a rename or link in dir durable. Windows cannot fsync a directory.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("vault: sync key file directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("vault: sync key file directory: %w", err)
	}
	return nil
}

// Path returns the key file's path.
func (k *KeyFile) Path() string { return k.path }

// Created reports whether OpenKeyFile just created the file, so start-up can tell the
// operator to back it up.
func (k *KeyFile) Created() bool { return k.created }

func (k *KeyFile) String() string             { return "vault.KeyFile(" + k.path + ")" }
func (k *KeyFile) GoString() string           { return k.String() }
func (k *KeyFile) LogValue() slog.Value       { return slog.StringValue(k.String()) }
func (k *KeyFile) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// EnsureTenant creates the tenant's first KEK if it has none, saving the file before
// returning. It is idempotent.
func (k *KeyFile) EnsureTenant(_ context.Context, tenantID string) error {
	if tenantID == "" {
		return errors.New("vault: ensure tenant key: empty tenant id")
	}
	k.mu.RLock()
	_, ok := k.st.current[tenantID]
	k.mu.RUnlock()
	if ok {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.ensureLocked(tenantID)
}

func (k *KeyFile) ensureLocked(tenantID string) error {
	if _, ok := k.st.current[tenantID]; ok {
		return nil
	}
	key, err := randomKey()
	if err != nil {
		return err
	}
	a, err := newAEAD(key)
	if err != nil {
		return err
	}
	id := kekID{tenantID, 1}
	k.st.data.Tenants[tenantID] = &tenantKEKs{KEKs: []kekEntry{{Version: 1, Key: key, Created: time.Now().UTC().Truncate(time.Second)}}}
	if err := k.save(); err != nil {
		// Never wrap under a KEK that is not safely on disk: forget it.
		delete(k.st.data.Tenants, tenantID)
		clear(key)
		return fmt.Errorf("vault: create key for tenant %s: %w", tenantID, err)
	}
	k.dirty = false
	k.st.aeads[id] = a
	k.st.current[tenantID] = 1
	return nil
}

func kekAD(tenantID string, version int, ad []byte) []byte {
	return encodeAD(labelKEK, formatV1, []byte(tenantID), []byte(strconv.Itoa(version)), ad)
}

// Wrap encrypts dek under the tenant's current KEK, creating the tenant's KEK first if
// needed.
func (k *KeyFile) Wrap(ctx context.Context, tenantID string, dek, ad []byte) (int, []byte, error) {
	if len(dek) == 0 {
		return 0, nil, errors.New("vault: wrap: empty data key")
	}
	if err := k.EnsureTenant(ctx, tenantID); err != nil {
		return 0, nil, err
	}
	k.mu.RLock()
	v := k.st.current[tenantID]
	a := k.st.aeads[kekID{tenantID, v}]
	k.mu.RUnlock()
	w, err := seal(a, dek, kekAD(tenantID, v, ad))
	if err != nil {
		return 0, nil, err
	}
	return v, w, nil
}

// Unwrap decrypts a data key wrapped by Wrap.
func (k *KeyFile) Unwrap(_ context.Context, tenantID string, version int, wrapped, ad []byte) ([]byte, error) {
	k.mu.RLock()
	a, ok := k.st.aeads[kekID{tenantID, version}]
	k.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("vault: unwrap: tenant %s has no key version %d: %w", tenantID, version, ErrKeyUnavailable)
	}
	dek, err := unseal(a, wrapped, kekAD(tenantID, version, ad))
	if err != nil {
		return nil, fmt.Errorf("vault: unwrap data key: %w", err)
	}
	return dek, nil
}

// Secret returns 32 bytes derived with HKDF-SHA256 from the file's root secret for one
// purpose (for example an HMAC key). Distinct purposes give independent secrets; the
// same purpose gives the same secret across restarts.
func (k *KeyFile) Secret(purpose string) []byte {
	k.mu.RLock()
	root := k.st.data.Root
	k.mu.RUnlock()
	s, err := hkdf.Key(sha256.New, root, nil, "inoculate/secret/v1:"+purpose, keySize)
	if err != nil {
		// Only possible for lengths beyond 255×32 bytes: a programming error.
		panic("vault: derive secret: " + err.Error())
	}
	return s
}

// AuditSigner returns the Ed25519 note signer for audit checkpoints.
func (k *KeyFile) AuditSigner() (note.Signer, error) {
	k.mu.RLock()
	skey := k.st.data.AuditSigner
	k.mu.RUnlock()
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("vault: audit signer: %w", err)
	}
	return s, nil
}

// AuditVerifier returns the verifier matching AuditSigner.
func (k *KeyFile) AuditVerifier() (note.Verifier, error) {
	v, err := note.NewVerifier(k.AuditVerifierKey())
	if err != nil {
		return nil, fmt.Errorf("vault: audit verifier: %w", err)
	}
	return v, nil
}

// AuditVerifierKey returns the public verifier key text to give third-party auditors.
func (k *KeyFile) AuditVerifierKey() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.st.vkey
}

// MarkShredded records a tombstone for subject and saves the file before returning.
// If the save fails the subject stays shredded in memory (erring towards erasure) and
// the save is retried by the next change or call.
func (k *KeyFile) MarkShredded(tenantID, subject string) error {
	if subject == "" {
		return errors.New("vault: mark shredded: empty subject")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.st.shredded[subject]; ok && !k.dirty {
		return nil
	}
	if _, ok := k.st.shredded[subject]; !ok {
		k.st.shredded[subject] = struct{}{}
		k.st.data.Tombstones = append(k.st.data.Tombstones, tombstone{Subject: subject, Tenant: tenantID, At: time.Now().UTC()})
	}
	if err := k.save(); err != nil {
		k.dirty = true
		return fmt.Errorf("vault: record tombstone: %w", err)
	}
	k.dirty = false
	return nil
}

// Shredded reports whether subject has a tombstone.
func (k *KeyFile) Shredded(subject string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	_, ok := k.st.shredded[subject]
	return ok
}

// Tombstones returns the shredded subject ids, sorted.
func (k *KeyFile) Tombstones() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]string, 0, len(k.st.shredded))
	for s := range k.st.shredded {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
