package auth

import (
	"bytes"
	"encoding/base32"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// RFC 6238 Appendix B (SHA-1), last six digits, and agreement with pquerna/otp.
func TestHOTPVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		now := time.Unix(v.unix, 0)
		if got := hotp(secret, uint64(totpStep(now))); got != v.code {
			t.Errorf("T=%d: %s, want %s", v.unix, got, v.code)
		}
		lib, err := totp.GenerateCodeCustom(base32.StdEncoding.EncodeToString(secret), now, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil || lib != v.code {
			t.Errorf("T=%d: library %s (%v)", v.unix, lib, err)
		}
	}
}

func TestMatchCodeWindow(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	cur := totpStep(now)
	at := func(step int64) string { return hotp(secret, uint64(step)) }
	for _, c := range []struct {
		what         string
		code         string
		last         int64
		ok, replay   bool
		wantStepBack int64
	}{
		{"current", at(cur), 0, true, false, 0},
		{"previous", at(cur - 1), 0, true, false, 1},
		{"two back", at(cur - 2), 0, false, false, 0},
		{"next", at(cur + 1), 0, false, false, 0},
		{"current used", at(cur), cur, false, true, 0},
		{"previous after current", at(cur - 1), cur, false, true, 0},
		{"spaced", at(cur)[:3] + " " + at(cur)[3:], 0, true, false, 0},
		{"garbage", "12345a", 0, false, false, 0},
	} {
		step, ok, replay := matchCode(secret, c.code, c.last, now)
		if ok != c.ok || replay != c.replay || (ok && step != cur-c.wantStepBack) {
			t.Errorf("%s: step=%d ok=%v replay=%v", c.what, step, ok, replay)
		}
	}
}

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "123-456", " 123456 ", "12345", "1234567", "١٢٣٤٥٦", "123\u00a0456", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := normalizeCode(s)
		if !ok {
			if c != "" {
				t.Fatalf("rejected %q but returned %q", s, c)
			}
			return
		}
		if len(c) != 6 || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("%q normalised to %q", s, c)
		}
		if c2, ok := normalizeCode(c); !ok || c2 != c {
			t.Fatalf("not idempotent: %q -> %q", c, c2)
		}
		// Every accepted input is the same digits with only separators added.
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
		if digits != c {
			t.Fatalf("%q: digits %q != %q", s, digits, c)
		}
	})
}

// Enrolment: the pending secret is reused, sealed at rest, the QR is a PNG of the
// otpauth URL, and confirming rotates the session to full.
func TestEnrol(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("acme", false)
		u := e.user(tn.ID, "alice", authz.CaseWorker, false)
		tok := e.mustLogin("acme", "alice", authz.StageEnrol)
		p := e.auth(tok)
		if p.Stage != authz.StageEnrol {
			t.Fatalf("stage %s", p.Stage)
		}
		s1, u1, err := e.svc.BeginEnrol(e.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		s2, u2, err := e.svc.BeginEnrol(e.ctx, p)
		if err != nil || s1 != s2 || u1 != u2 {
			t.Fatalf("reload gave another secret (%v)", err)
		}
		parsed, err := url.Parse(u1)
		if err != nil || parsed.Scheme != "otpauth" || parsed.Query().Get("secret") != s1 || parsed.Query().Get("period") != "30" || parsed.Query().Get("digits") != "6" || parsed.Query().Get("algorithm") != "SHA1" {
			t.Fatalf("otpauth URL %q", u1)
		}
		raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s1)
		if len(raw) != 20 {
			t.Fatalf("secret of %d bytes, want 20 (160 bits)", len(raw))
		}
		var sealed []byte
		if err := db.Reader().QueryRow(e.ctx, "SELECT totp_secret FROM users WHERE id = ?", u.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if len(sealed) == 0 || bytes.Contains(sealed, raw) || bytes.Contains(sealed, []byte(s1)) {
			t.Fatal("TOTP secret not sealed at rest")
		}
		opened, err := e.vault.Open(e.ctx, db.Reader(), totpRef(tn.ID, u.ID), sealed)
		if err != nil || !bytes.Equal(opened, raw) {
			t.Fatalf("vault open: %v", err)
		}
		img, err := e.svc.EnrolQR(e.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(img)); err != nil {
			t.Fatalf("QR is not a PNG: %v", err)
		}

		_, err = e.svc.ConfirmEnrol(e.ctx, p, "000000", "r")
		if hotp(raw, uint64(totpStep(e.clock.Now()))) != "000000" {
			wantKind(t, err, errs.Unauthorized, "wrong enrol code")
		}
		full, err := e.svc.ConfirmEnrol(e.ctx, p, e.code(raw), "req-enrol")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(e.ctx, tok); !errs.Is(err, errs.Unauthorized) {
			t.Fatal("enrol session id not rotated")
		}
		fp := e.auth(full)
		if fp.Stage != authz.StageFull || !fp.FreshAuth(e.clock.Now()) {
			t.Fatalf("after enrol: %+v", fp)
		}
		if en := e.lastEntry(tn.ID, "auth.enrol"); en.Result != "ok" || en.ActorID != u.ID {
			t.Fatalf("enrol audit %+v", en)
		}
		if got, _ := e.svc.User(e.ctx, tn.ID, u.ID); !got.TOTPEnrolled {
			t.Fatal("user not marked enrolled")
		}
		// A full session cannot re-enrol; the next login needs the code.
		if _, _, err := e.svc.BeginEnrol(e.ctx, fp); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("re-enrol from full session: %v", err)
		}
		e.mustLogin("acme", "alice", authz.StageTOTP)
		if strings.Contains(e.auditLeaves(), s1) {
			t.Fatal("secret in audit log")
		}
	})
}

// P9: current and previous step only, each code once (replay refused within its
// window, audited as denied), failures count toward the account throttle.
func TestVerifyTOTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("acme", false)
		u, secret, _ := e.enrolled(tn, "alice", authz.CaseWorker)
		at := func(back int64) string { return hotp(secret, uint64(totpStep(e.clock.Now())-back)) }

		tok := e.mustLogin("acme", "alice", authz.StageTOTP)
		if p := e.auth(tok); p.Stage != authz.StageTOTP || p.FreshAuth(e.clock.Now()) {
			t.Fatalf("pending session %+v", p)
		}
		// The enrolment code (previous step, already used) is a replay.
		_, err := e.svc.VerifyTOTP(e.ctx, tok, at(1), "r")
		wantKind(t, err, errs.Unauthorized, "enrolment code replayed")
		if en := e.lastEntry(tn.ID, "auth.totp"); en.Result != "denied" {
			t.Fatalf("replay audited as %+v", en)
		}
		code := at(0)
		full, err := e.svc.VerifyTOTP(e.ctx, tok, code, "r")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(e.ctx, tok); !errs.Is(err, errs.Unauthorized) {
			t.Fatal("old session id still valid after TOTP")
		}
		if p := e.auth(full); p.Stage != authz.StageFull || !p.FreshAuth(e.clock.Now()) {
			t.Fatalf("after TOTP %+v", p)
		}
		if en := e.lastEntry(tn.ID, "auth.totp"); en.Result != "ok" || en.ActorID != u.ID {
			t.Fatalf("totp audit %+v", en)
		}
		// Same code again, same step, new session: refused.
		e.clock.Advance(5 * time.Second)
		tok2 := e.mustLogin("acme", "alice", authz.StageTOTP)
		_, err = e.svc.VerifyTOTP(e.ctx, tok2, code, "r")
		wantKind(t, err, errs.Unauthorized, "replayed code")
		if msgKey(err) != "error.totp_invalid" {
			t.Fatalf("key %q", msgKey(err))
		}
		// In the next step, the used code (now the previous step's) is still refused.
		e.clock.Advance(totpPeriod * time.Second)
		if _, err := e.svc.VerifyTOTP(e.ctx, tok2, at(1), "r"); !errs.Is(err, errs.Unauthorized) {
			t.Fatal("used code accepted in the next step")
		}
		// Two steps later an unused previous-step code is accepted.
		e.clock.Advance(2 * totpPeriod * time.Second)
		tok2 = e.mustLogin("acme", "alice", authz.StageTOTP)
		if _, err := e.svc.VerifyTOTP(e.ctx, tok2, at(1), "r"); err != nil {
			t.Fatalf("previous step code: %v", err)
		}
		// Codes two steps old are refused.
		e.clock.Advance(totpPeriod * time.Second)
		tok3 := e.mustLogin("acme", "alice", authz.StageTOTP)
		if _, err := e.svc.VerifyTOTP(e.ctx, tok3, at(2), "r"); !errs.Is(err, errs.Unauthorized) {
			t.Fatal("code two steps old accepted")
		}
		// Wrong codes count toward the account throttle, and block the password too.
		e.clock.Advance(2 * time.Minute)
		wrong := "000000"
		if wrong == at(0) || wrong == at(1) {
			wrong = "111111"
		}
		for i := range 5 {
			_, err := e.svc.VerifyTOTP(e.ctx, tok3, wrong, "r")
			wantKind(t, err, errs.Unauthorized, fmt.Sprintf("wrong code %d", i+1))
		}
		_, err = e.svc.VerifyTOTP(e.ctx, tok3, at(0), "r")
		wantKind(t, err, errs.TooMany, "6th code within a minute")
		_, err = e.login("acme", "alice", goodPassword)
		wantKind(t, err, errs.TooMany, "login after 5 wrong codes")
		e.clock.Advance(61 * time.Second)
		tok4 := e.mustLogin("acme", "alice", authz.StageTOTP)
		if _, err := e.svc.VerifyTOTP(e.ctx, tok4, at(0), "r"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
		// The code never reaches the log.
		if strings.Contains(e.auditLeaves(), code) {
			t.Fatal("code in audit log")
		}
		// VerifyTOTP is only for stage totp.
		if _, err := e.svc.VerifyTOTP(e.ctx, full, at(0), "r"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("VerifyTOTP on full session: %v", err)
		}
	})
}
