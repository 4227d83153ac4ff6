package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"image/png"
	"strings"
	"time"
	"unicode"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
)

// TOTP (RFC 6238) as SECURITY.md P9 asks: 160-bit secret, HMAC-SHA1, 6 digits, 30 s
// steps, server time only. Only the current and the previous step are accepted (ASVS
// 6.5.5 caps a code's life at 30 s; one step back covers a code typed at the boundary),
// and a step is accepted only if it is later than the last accepted one, so every code
// works once per account, even within its window.

const (
	totpSecretBytes = 20 // 160 bits
	totpPeriod      = 30 // seconds
	totpDigits      = 6
	maxCodeInput    = 32 // longer input is refused before any work
	qrSize          = 256
)

// hotp is RFC 4226's HOTP value of counter, as 6 decimal digits.
func hotp(secret []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

// totpStep is the time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// normalizeCode accepts what people type or paste: ASCII digits with spaces or
// hyphens between groups ("123 456", "123-456"). It returns the 6 digits, or false.
func normalizeCode(s string) (string, bool) {
	if len(s) > maxCodeInput {
		return "", false
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if b.Len() == totpDigits {
				return "", false
			}
			b.WriteRune(r)
		case r == '-' || unicode.IsSpace(r):
		default:
			return "", false
		}
	}
	if b.Len() != totpDigits {
		return "", false
	}
	return b.String(), true
}

// matchCode checks code against the current and previous step at now. ok means a
// step later than lastStep matched (and is returned for consumption); replay means a
// code matched but its step was already used.
func matchCode(secret []byte, code string, lastStep int64, now time.Time) (step int64, ok, replay bool) {
	c, valid := normalizeCode(code)
	if !valid || len(secret) == 0 {
		return 0, false, false
	}
	cur := totpStep(now)
	for _, st := range []int64{cur, cur - 1} {
		if st < 1 {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(secret, uint64(st))), []byte(c)) == 1 {
			if st > lastStep {
				return st, true, false
			}
			replay = true
		}
	}
	return 0, false, replay
}

func totpRef(tenantID, userID string) vault.FieldRef {
	return vault.FieldRef{TenantID: tenantID, Subject: userID, Table: "users", Column: "totp_secret", Row: userID}
}

func (s *Service) openSecret(ctx context.Context, q store.Querier, tenantID, userID string, sealed []byte) ([]byte, error) {
	secret, err := s.sealer.Open(ctx, q, totpRef(tenantID, userID), sealed)
	if err != nil {
		return nil, fmt.Errorf("auth: open TOTP secret: %w", err)
	}
	return secret, nil
}

// VerifyTOTP completes a sign-in whose password was accepted (stage totp): a valid,
// unused code turns the session into a full one under a new id. Wrong and replayed
// codes count toward the account throttle.
func (s *Service) VerifyTOTP(ctx context.Context, token, code, requestID string) (string, error) {
	p, err := s.Authenticate(ctx, token)
	if err != nil {
		return "", err
	}
	if p.Stage != authz.StageTOTP {
		return "", errWrongStage()
	}
	st, err := loadAuthState(ctx, s.db.Reader(), p.TenantID, p.UserID)
	if err != nil {
		return "", errs.Wrap(err, "verify TOTP")
	}
	entry := audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: st.role, Action: "auth.totp", RequestID: requestID}
	r, err := s.reserve(ctx, s.accountKey(st.slug, st.name), entry)
	if err != nil {
		return "", err
	}
	var step int64
	ok, replay := false, false
	if st.enrolled && st.sealed != nil {
		secret, err := s.openSecret(ctx, s.db.Reader(), p.TenantID, p.UserID, st.sealed)
		if err != nil {
			return "", errs.Wrap(err, "verify TOTP")
		}
		step, ok, replay = matchCode(secret, code, st.lastStep, s.now())
	}
	if !ok {
		if err := s.recordFailure(ctx, entry, codeResult(replay)); err != nil {
			return "", err
		}
		return "", errCodeInvalid()
	}
	return s.succeed(ctx, entry, r, p, step, authz.StageFull, s.now(), nil, errCodeInvalid)
}

// BeginEnrol returns the secret (base32) and otpauth URL for a session of stage enrol.
// A pending secret is reused, so reloading the page shows the same one; a new one is
// generated, sealed and stored otherwise.
func (s *Service) BeginEnrol(ctx context.Context, p *authz.Principal) (secret, otpauthURL string, err error) {
	if p == nil || p.Via != "session" || p.Stage != authz.StageEnrol {
		return "", "", errWrongStage()
	}
	var raw []byte
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var sealed []byte
		var enrolled, disabled bool
		var role string
		err := tx.QueryRow(ctx, "SELECT totp_secret, totp_enrolled, disabled, role FROM users WHERE tenant_id = ? AND id = ?"+tx.ForUpdate(), p.TenantID, p.UserID).
			Scan(&sealed, &enrolled, &disabled, &role)
		if isNoRows(err) || disabled {
			return errSignIn()
		}
		if err != nil {
			return fmt.Errorf("auth: read TOTP state: %w", err)
		}
		if enrolled {
			return errWrongStage()
		}
		if sealed != nil {
			raw, err = s.openSecret(ctx, tx, p.TenantID, p.UserID, sealed)
			return err
		}
		raw = make([]byte, totpSecretBytes)
		rand.Read(raw)
		if sealed, err = s.sealer.Seal(ctx, tx, totpRef(p.TenantID, p.UserID), raw); err != nil {
			return fmt.Errorf("auth: seal TOTP secret: %w", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET totp_secret = ? WHERE tenant_id = ? AND id = ?", sealed, p.TenantID, p.UserID); err != nil {
			return fmt.Errorf("auth: store TOTP secret: %w", err)
		}
		return s.appendAudit(ctx, tx, audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: role, Action: "auth.enrol_begin", Object: p.UserID, Result: "ok"})
	})
	if err != nil {
		return "", "", errs.Wrap(err, "begin enrolment")
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      s.cfg.Issuer,
		AccountName: p.UserName + "@" + p.TenantSlug,
		Period:      totpPeriod,
		Secret:      raw,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", errs.Wrap(err, "otpauth URL")
	}
	return key.Secret(), key.URL(), nil
}

// EnrolQR is the otpauth URL of BeginEnrol as a PNG QR code.
func (s *Service) EnrolQR(ctx context.Context, p *authz.Principal) ([]byte, error) {
	_, u, err := s.BeginEnrol(ctx, p)
	if err != nil {
		return nil, err
	}
	key, err := otp.NewKeyFromURL(u)
	if err != nil {
		return nil, errs.Wrap(err, "QR key")
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, errs.Wrap(err, "QR image")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, errs.Wrap(err, "QR PNG")
	}
	return buf.Bytes(), nil
}

// ConfirmEnrol checks a code of the pending secret; on success the secret becomes the
// user's factor and the session a full one under a new id.
func (s *Service) ConfirmEnrol(ctx context.Context, p *authz.Principal, code, requestID string) (string, error) {
	if p == nil || p.Via != "session" || p.Stage != authz.StageEnrol || p.SessionID == nil {
		return "", errWrongStage()
	}
	st, err := loadAuthState(ctx, s.db.Reader(), p.TenantID, p.UserID)
	if err != nil {
		return "", errs.Wrap(err, "confirm enrolment")
	}
	switch {
	case st.disabled:
		return "", errSignIn()
	case st.enrolled:
		return "", errWrongStage()
	case st.sealed == nil:
		return "", &errs.Error{Kind: errs.Conflict, MsgKey: "error.enrol_not_started", Msg: "Start the set-up of your authenticator app first."}
	}
	entry := audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: st.role, Action: "auth.enrol", Object: p.UserID, RequestID: requestID}
	r, err := s.reserve(ctx, s.accountKey(st.slug, st.name), entry)
	if err != nil {
		return "", err
	}
	secret, err := s.openSecret(ctx, s.db.Reader(), p.TenantID, p.UserID, st.sealed)
	if err != nil {
		return "", errs.Wrap(err, "confirm enrolment")
	}
	step, ok, replay := matchCode(secret, code, st.lastStep, s.now())
	if !ok {
		if err := s.recordFailure(ctx, entry, codeResult(replay)); err != nil {
			return "", err
		}
		return "", errCodeInvalid()
	}
	enrol := func(tx *store.Tx) error {
		// Only the secret that was checked: a concurrent reset or re-enrolment wins.
		res, err := tx.Exec(ctx, "UPDATE users SET totp_enrolled = ? WHERE tenant_id = ? AND id = ? AND totp_enrolled = ? AND totp_secret = ?", true, p.TenantID, p.UserID, false, st.sealed)
		if err != nil {
			return fmt.Errorf("auth: mark enrolled: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errWrongStage()
		}
		return nil
	}
	return s.succeed(ctx, entry, r, p, step, authz.StageFull, s.now(), enrol, errCodeInvalid)
}
