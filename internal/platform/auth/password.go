package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"inoculate/internal/platform/errs"
)

// ArgonParams are argon2id cost parameters. Memory is in KiB.
type ArgonParams struct {
	Memory  uint32
	Time    uint32
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// DefaultArgon is the cost used for new hashes: 64 MiB, 3 passes, 2 lanes (SECURITY.md
// P10; OWASP's argon2id minimum is 19 MiB/t=2).
var DefaultArgon = ArgonParams{Memory: 64 * 1024, Time: 3, Threads: 2, KeyLen: 32, SaltLen: 16}

// MinArgon is the floor New enforces on configured parameters: a configuration typo
// must not silently weaken every new hash.
var MinArgon = DefaultArgon

const (
	minPasswordRunes = 12
	maxPasswordBytes = 1024 // argon2 takes any length; the cap keeps requests bounded

	// Bounds for hashes read back from storage, so a damaged row cannot ask for
	// absurd memory or time.
	maxArgonMemory = 2 << 20 // KiB: 2 GiB
	maxArgonTime   = 64
	minSaltLen     = 8
	maxSaltLen     = 64
	minKeyLen      = 16
	maxKeyLen      = 128
)

func (p ArgonParams) withDefaults() ArgonParams {
	d := DefaultArgon
	if p.Memory == 0 {
		p.Memory = d.Memory
	}
	if p.Time == 0 {
		p.Time = d.Time
	}
	if p.Threads == 0 {
		p.Threads = d.Threads
	}
	if p.KeyLen == 0 {
		p.KeyLen = d.KeyLen
	}
	if p.SaltLen == 0 {
		p.SaltLen = d.SaltLen
	}
	return p
}

func (p ArgonParams) atLeast(m ArgonParams) ArgonParams {
	p.Memory = max(p.Memory, m.Memory)
	p.Time = max(p.Time, m.Time)
	p.Threads = max(p.Threads, 1)
	p.KeyLen = max(p.KeyLen, m.KeyLen)
	p.SaltLen = max(p.SaltLen, m.SaltLen)
	return p
}

// weakerThan reports whether a stored hash should be upgraded to target's cost.
func (p ArgonParams) weakerThan(target ArgonParams) bool {
	return p.Memory < target.Memory || p.Time < target.Time || p.KeyLen < target.KeyLen || p.SaltLen < target.SaltLen
}

// phc is a parsed argon2id hash string.
type phc struct {
	params ArgonParams
	salt   []byte
	key    []byte
}

var b64 = base64.RawStdEncoding.Strict()

// formatPHC encodes a hash in the PHC string format used by the reference argon2
// implementation: $argon2id$v=19$m=65536,t=3,p=2$salt$hash (unpadded standard base64).
func formatPHC(h phc) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.params.Memory, h.params.Time, h.params.Threads,
		b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

var errBadPHC = errors.New("auth: malformed argon2id hash")

// parsePHC is the strict inverse of formatPHC. It accepts only argon2id version 19
// with parameters inside sane bounds.
func parsePHC(s string) (phc, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v=19" {
		return phc{}, errBadPHC
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return phc{}, errBadPHC
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(kv[i], name)
		if !ok || v == "" || len(v) > 10 || (len(v) > 1 && v[0] == '0') {
			return phc{}, errBadPHC
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return phc{}, errBadPHC
		}
		vals[i] = n
	}
	m, t, p := vals[0], vals[1], vals[2]
	if p < 1 || p > 255 || t < 1 || t > maxArgonTime || m < 8*p || m > maxArgonMemory {
		return phc{}, errBadPHC
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return phc{}, errBadPHC
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return phc{}, errBadPHC
	}
	return phc{
		params: ArgonParams{Memory: uint32(m), Time: uint32(t), Threads: uint8(p), KeyLen: uint32(len(key)), SaltLen: uint32(len(salt))},
		salt:   salt,
		key:    key,
	}, nil
}

// argon2id runs one hash under the semaphore. Each run takes p.Memory KiB, so the
// semaphore (one slot per CPU) bounds memory whatever the number of requests.
func (s *Service) argon2id(ctx context.Context, password string, salt []byte, p ArgonParams) ([]byte, error) {
	select {
	case s.hashSem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("auth: waiting to hash: %w", ctx.Err())
	}
	defer func() { <-s.hashSem }()
	s.hashes.Add(1)
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen), nil
}

// hashPassword returns the PHC string of a new hash of password.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	p := s.argon
	salt := make([]byte, p.SaltLen)
	rand.Read(salt) // never fails (crypto/rand panics rather than return short)
	key, err := s.argon2id(ctx, password, salt, p)
	if err != nil {
		return "", err
	}
	return formatPHC(phc{params: p, salt: salt, key: key}), nil
}

// verifyPassword checks password against a stored PHC string in constant time.
// rehash is true when the stored cost is below the current one. An unparsable stored
// hash verifies as false after a dummy run, so it neither opens the account nor shows
// in the timing.
func (s *Service) verifyPassword(ctx context.Context, encoded, password string) (ok, rehash bool, err error) {
	h, perr := parsePHC(encoded)
	if perr != nil || len(password) > maxPasswordBytes {
		return false, false, s.dummyVerify(ctx, password)
	}
	key, err := s.argon2id(ctx, password, h.salt, h.params)
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(key, h.key) == 1
	return ok, ok && h.params.weakerThan(s.argon), nil
}

// dummyVerify spends one argon2 run at the current cost, for logins whose account does
// not exist or cannot be checked: their timing must match a wrong password's.
func (s *Service) dummyVerify(ctx context.Context, password string) error {
	p := s.argon
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	if len(password) > maxPasswordBytes {
		password = password[:maxPasswordBytes]
	}
	_, err := s.argon2id(ctx, password, salt, p)
	return err
}

// validatePassword applies the password policy (NIST 800-63B style: length, no
// composition rules). name is the normalised user name.
func validatePassword(name, password string) error {
	switch {
	case !utf8.ValidString(password):
		return errs.InvalidField("password", "error.password_invalid", "The password contains invalid characters.")
	case len(password) > maxPasswordBytes:
		return errs.InvalidField("password", "error.password_too_long", fmt.Sprintf("The password must be at most %d bytes long.", maxPasswordBytes), maxPasswordBytes)
	case utf8.RuneCountInString(password) < minPasswordRunes:
		return errs.InvalidField("password", "error.password_too_short", fmt.Sprintf("The password must have at least %d characters.", minPasswordRunes), minPasswordRunes)
	case name != "" && strings.Contains(strings.ToLower(password), strings.ToLower(name)):
		return errs.InvalidField("password", "error.password_contains_name", "The password must not contain the user name.")
	}
	return nil
}

var (
	userNameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)
	tenantSlugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)
)

// normName is how user names and slugs are compared: lower case, no surrounding space.
func normName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validateUserName(name string) error {
	if !userNameRE.MatchString(name) {
		return errs.InvalidField("name", "error.user_name_invalid", "The user name must be 2 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.")
	}
	return nil
}

func validateSlug(slug string) error {
	if !tenantSlugRE.MatchString(slug) {
		return errs.InvalidField("slug", "error.tenant_slug_invalid", "The short name must be 2 to 40 characters: lower-case letters, digits or '-', starting with a letter or digit.")
	}
	return nil
}

const maxTenantNameRunes = 200

func validateTenantName(name string) error {
	bad := name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxTenantNameRunes ||
		strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) })
	if bad {
		return errs.InvalidField("name", "error.tenant_name_invalid", fmt.Sprintf("The name must be 1 to %d characters, without control characters.", maxTenantNameRunes), maxTenantNameRunes)
	}
	return nil
}
