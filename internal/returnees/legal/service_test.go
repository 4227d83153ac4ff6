package legal_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/caseref"
	"inoculate/internal/returnees/legal"
)

// env is one store with two tenants: in A two legal officers, a supervisor, a
// communications officer and a case worker; in B a legal officer and a case worker.
type env struct {
	db    *store.DB
	cases *returnees.Service
	svc   *legal.Service
	log   *audit.Log
	p     map[string]*authz.Principal // "lo1", "lo2", "sup", "comms", "cw", "loB", "cwB"
}

func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	kf, err := vault.OpenKeyFile(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := kf.AuditSigner()
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(kf, kf)
	e := &env{db: db, log: audit.New(db, signer), p: map[string]*authz.Principal{}}
	e.cases = returnees.NewService(db, v, e.log)
	e.svc = legal.NewService(db, v, e.log, nil)
	users := []struct {
		key, tenant string
		role        authz.Role
	}{
		{"lo1", "tenant-a", authz.LegalOfficer}, {"lo2", "tenant-a", authz.LegalOfficer}, {"sup", "tenant-a", authz.Supervisor},
		{"comms", "tenant-a", authz.CommsOfficer}, {"cw", "tenant-a", authz.CaseWorker},
		{"loB", "tenant-b", authz.LegalOfficer}, {"cwB", "tenant-b", authz.CaseWorker},
	}
	for _, id := range []string{"tenant-a", "tenant-b"} {
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, id, id, id, 1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := kf.EnsureTenant(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range users {
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				"user-"+u.key, u.tenant, u.key, string(u.role), "x", 1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.p[u.key] = &authz.Principal{TenantID: u.tenant, UserID: "user-" + u.key, Role: u.role, Stage: authz.StageFull, Via: "session", AuthAt: time.Now()}
	}
	return e
}

// newCase records a returnee in the principal's tenant and opens it as a legal officer would.
func (e *env) newCase(t *testing.T, creator, opener string, alias string) caseref.Case {
	t.Helper()
	ctx := context.Background()
	r, err := e.cases.Create(ctx, e.p[creator], "", returnees.NewReturnee{Alias: alias, Identity: returnees.Identity{LegalName: "CANARY Name " + alias}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.cases.Open(ctx, e.p[opener], r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) actions(t *testing.T, tenant string) []string {
	t.Helper()
	recs, err := e.log.List(context.Background(), e.db.Reader(), tenant, audit.Filter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Action+":"+r.Result)
	}
	return out
}

var obligations = []legal.Obligation{
	{Kind: legal.ObligationForums, Count: 3, From: "2026-01-01", Until: "2026-12-31"},
	{Kind: legal.ObligationTestimony, From: "2026-01-01", Until: "2026-06-30"},
}

func draft(terms string) legal.AgreementInput {
	return legal.AgreementInput{Kind: legal.KindImmunity, Terms: terms, Obligations: obligations}
}

// signedAgreement screens "no", drafts (lo1), submits for review and has both officers sign.
func (e *env) signedAgreement(t *testing.T, c caseref.Case) legal.Agreement {
	t.Helper()
	ctx := context.Background()
	if _, _, err := e.svc.RecordScreening(ctx, e.p["lo1"], "", c, legal.ScreeningInput{CapitalCrime: legal.FindingNo}); err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.CreateAgreement(ctx, e.p["lo1"], "", c, draft("Terms CANARY-TERMS"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Transition(ctx, e.p["lo1"], "", c, a.ID, legal.StatusUnderReview, "ready for review"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Sign(ctx, e.p["lo1"], "", c, a.ID); err != nil {
		t.Fatal(err)
	}
	a, err = e.svc.Sign(ctx, e.p["lo2"], "", c, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != legal.StatusSigned {
		t.Fatalf("status after two signatures: %s", a.Status)
	}
	return a
}

func wantKind(t *testing.T, what string, err error, k errs.Kind) {
	t.Helper()
	if !errs.Is(err, k) {
		t.Fatalf("%s: got %v (kind %v), want kind %v", what, err, errs.KindOf(err), k)
	}
}

func wantKey(t *testing.T, what string, err error, key string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.MsgKey != key {
		t.Fatalf("%s: got %v, want message key %s", what, err, key)
	}
}

func TestScreeningIsVersionedSealedAndAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "cw", "lo1", "Olive")
		sc, ref, err := e.svc.RecordScreening(ctx, e.p["lo1"], "req-1", c, legal.ScreeningInput{
			CapitalCrime: legal.FindingUndetermined, Offences: []legal.Offence{{Description: " CANARY-OFFENCE membership "}, {Description: "  "}},
			EvidenceNotes: "CANARY-EVIDENCE witness in Raqqa"})
		if err != nil {
			t.Fatal(err)
		}
		if sc.Version != 1 || ref != nil || len(sc.Offences) != 1 || sc.Offences[0].Description != "CANARY-OFFENCE membership" {
			t.Fatalf("first screening %+v, referral %v", sc, ref)
		}
		sc2, _, err := e.svc.RecordScreening(ctx, e.p["lo2"], "req-2", c, legal.ScreeningInput{CapitalCrime: legal.FindingNo,
			Offences: []legal.Offence{{Description: "CANARY-OFFENCE membership"}, {Description: "logistics"}}})
		if err != nil || sc2.Version != 2 {
			t.Fatalf("second screening %+v, %v", sc2, err)
		}
		// Sealed at rest: no plaintext in the rows.
		var notes []byte
		if err := db.Reader().QueryRow(ctx, `SELECT evidence_notes FROM legal_screenings WHERE id = ?`, sc.ID).Scan(&notes); err != nil {
			t.Fatal(err)
		}
		if len(notes) == 0 || bytes.Contains(notes, []byte("CANARY")) {
			t.Fatalf("evidence notes stored as %q", notes)
		}
		rows, err := db.Reader().Query(ctx, `SELECT description FROM legal_offences WHERE returnee_id = ?`, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var d []byte
			if err := rows.Scan(&d); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(d, []byte("CANARY")) || bytes.Contains(d, []byte("logistics")) {
				t.Fatalf("offence stored in clear: %q", d)
			}
			n++
		}
		rows.Close()
		if n != 3 {
			t.Fatalf("%d offence rows, want 3", n)
		}
		d, err := e.svc.Details(ctx, e.p["sup"], "req-3", c)
		if err != nil {
			t.Fatal(err)
		}
		if d.Screening == nil || d.Screening.Version != 2 || d.Screening.CapitalCrime != legal.FindingNo || len(d.Screening.Offences) != 2 ||
			len(d.History) != 2 || d.History[1].EvidenceNotes != "CANARY-EVIDENCE witness in Raqqa" || d.History[1].DecidedBy != "user-lo1" {
			t.Fatalf("details %+v", d)
		}
		got := e.actions(t, "tenant-a")
		want := []string{"legal.read:ok", "legal.screening.record:ok", "legal.screening.record:ok"}
		if !slices.Equal(got[:3], want) {
			t.Fatalf("audit %v, want %v first", got, want)
		}
		// Bad input is refused with the field at fault.
		for _, in := range []legal.ScreeningInput{
			{CapitalCrime: "maybe"},
			{CapitalCrime: legal.FindingNo, Offences: []legal.Offence{{Description: "a\x00b"}}},
			{CapitalCrime: legal.FindingNo, EvidenceNotes: "x\u202eevil"},
		} {
			_, _, err := e.svc.RecordScreening(ctx, e.p["lo1"], "", c, in)
			wantKind(t, "bad screening", err, errs.Invalid)
		}
	})
}

func TestCapitalCrimeRefusesAgreementAndRecordsReferral(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "cw", "lo1", "Basil")
		_, ref, err := e.svc.RecordScreening(ctx, e.p["lo1"], "", c, legal.ScreeningInput{CapitalCrime: legal.FindingYes,
			Offences: []legal.Offence{{Description: "execution of prisoners"}}})
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil || ref.ReferredOn == "" || ref.Authority != "" {
			t.Fatalf("referral %+v", ref)
		}
		_, err = e.svc.CreateAgreement(ctx, e.p["lo1"], "", c, draft("immunity terms"))
		if !errors.Is(err, legal.ErrCapitalCrime) {
			t.Fatalf("agreement for a capital crime: %v", err)
		}
		wantKind(t, "agreement for a capital crime", err, errs.Conflict)
		if got := e.actions(t, "tenant-a"); got[0] != "legal.agreement.create:refused" {
			t.Fatalf("refused attempt not audited: %v", got)
		}
		var n int
		if err := db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM legal_agreements WHERE returnee_id = ?`, c.ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d agreements stored, %v", n, err)
		}
		// Naming the authority: a further referral, sealed.
		r2, err := e.svc.RecordReferral(ctx, e.p["lo2"], "", c, legal.ReferralInput{Authority: "CANARY-AUTHORITY prosecutor", Note: "file sent"})
		if err != nil {
			t.Fatal(err)
		}
		var auth []byte
		if err := db.Reader().QueryRow(ctx, `SELECT authority FROM legal_referrals WHERE id = ?`, r2.ID).Scan(&auth); err != nil || bytes.Contains(auth, []byte("CANARY")) {
			t.Fatalf("authority stored as %q, %v", auth, err)
		}
		_, err = e.svc.RecordReferral(ctx, e.p["lo2"], "", c, legal.ReferralInput{})
		wantKind(t, "referral without authority", err, errs.Invalid)
		// A new "yes" version without referral details adds no empty referral.
		if _, ref, err := e.svc.RecordScreening(ctx, e.p["lo1"], "", c, legal.ScreeningInput{CapitalCrime: legal.FindingYes}); err != nil || ref != nil {
			t.Fatalf("second yes: referral %v, %v", ref, err)
		}
		d, err := e.svc.Details(ctx, e.p["lo1"], "", c)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Referrals) != 2 || d.Referrals[0].Authority != "CANARY-AUTHORITY prosecutor" {
			t.Fatalf("referrals %+v", d.Referrals)
		}
		sum, err := e.svc.Status(ctx, c.TenantID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sum.CanCreateAgreement || !sum.Referred || !slices.Equal(sum.Blocking, []string{legal.BlockCapitalCrime}) {
			t.Fatalf("summary %+v", sum)
		}
		// Referrals are only for a capital crime.
		c2 := e.newCase(t, "cw", "lo1", "Clover")
		_, err = e.svc.RecordReferral(ctx, e.p["lo1"], "", c2, legal.ReferralInput{Authority: "someone"})
		wantKind(t, "referral without capital crime", err, errs.Conflict)
	})
}

func TestSigningNeedsAResolvedScreeningAndTwoOfficers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "cw", "lo1", "Dahlia")
		// No screening: drafting is allowed, signing is not.
		a, err := e.svc.CreateAgreement(ctx, e.p["lo1"], "", c, draft("terms"))
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != legal.StatusDraft || a.ID == "" {
			t.Fatalf("created %+v", a)
		}
		if _, err := e.svc.CreateAgreement(ctx, e.p["lo2"], "", c, draft("other terms")); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a second live agreement: %v", err)
		}
		_, err = e.svc.Sign(ctx, e.p["lo1"], "", c, a.ID)
		wantKey(t, "signing a draft", err, "legal.error.sign_status")
		if _, err := e.svc.Transition(ctx, e.p["lo1"], "", c, a.ID, legal.StatusUnderReview, "please review"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Sign(ctx, e.p["lo1"], "", c, a.ID)
		wantKey(t, "signing without screening", err, "legal.error.no_screening")
		if _, _, err := e.svc.RecordScreening(ctx, e.p["lo2"], "", c, legal.ScreeningInput{CapitalCrime: legal.FindingUndetermined}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Sign(ctx, e.p["lo1"], "", c, a.ID)
		wantKey(t, "signing while undetermined", err, "legal.error.undetermined")
		if sum, _ := e.svc.Status(ctx, c.TenantID, c.ID); !slices.Contains(sum.Blocking, legal.BlockUndetermined) {
			t.Fatalf("summary %+v", sum)
		}
		if _, _, err := e.svc.RecordScreening(ctx, e.p["lo2"], "", c, legal.ScreeningInput{CapitalCrime: legal.FindingNo}); err != nil {
			t.Fatal(err)
		}
		// Two-person rule: the author signs first, then cannot sign again.
		got, err := e.svc.Sign(ctx, e.p["lo1"], "", c, a.ID)
		if err != nil || got.Status != legal.StatusUnderReview || len(got.Signatures) != 1 {
			t.Fatalf("first signature: %+v, %v", got, err)
		}
		_, err = e.svc.Sign(ctx, e.p["lo1"], "", c, a.ID)
		wantKey(t, "same officer twice", err, "legal.error.sign_twice")
		// Not a legal officer: refused whatever the route says.
		_, err = e.svc.Sign(ctx, e.p["sup"], "", c, a.ID)
		wantKind(t, "supervisor signing", err, errs.Forbidden)
		// Step-up: a stale sign-in cannot sign.
		stale := *e.p["lo2"]
		stale.AuthAt = time.Now().Add(-time.Hour)
		_, err = e.svc.Sign(ctx, &stale, "", c, a.ID)
		wantKey(t, "stale sign-in", err, "error.step_up")
		got, err = e.svc.Sign(ctx, e.p["lo2"], "", c, a.ID)
		if err != nil || got.Status != legal.StatusSigned || len(got.Signatures) != 2 {
			t.Fatalf("second signature: %+v, %v", got, err)
		}
		acts := e.actions(t, "tenant-a")
		if acts[0] != "legal.agreement.signed:ok" || acts[1] != "legal.agreement.sign:ok" {
			t.Fatalf("audit %v", acts)
		}
		officers, err := e.svc.AgreementOfficers(ctx, c.TenantID, c.ID)
		if err != nil || !slices.Equal(officers, []string{"user-lo1", "user-lo2"}) {
			t.Fatalf("agreement officers %v, %v", officers, err)
		}
		if o, _ := e.svc.AgreementOfficers(ctx, "tenant-b", c.ID); len(o) != 0 {
			t.Fatalf("officers across tenants: %v", o)
		}
	})
}

func TestSendingBackToDraftVoidsSignatures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "cw", "lo1", "Elm")
		if _, _, err := e.svc.RecordScreening(ctx, e.p["lo1"], "", c, legal.ScreeningInput{CapitalCrime: legal.FindingNo}); err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.CreateAgreement(ctx, e.p["lo1"], "", c, draft("terms v1"))
		if err != nil {
			t.Fatal(err)
		}
		must := func(_ legal.Agreement, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(e.svc.Transition(ctx, e.p["lo1"], "", c, a.ID, legal.StatusUnderReview, "review please"))
		must(e.svc.Sign(ctx, e.p["lo2"], "", c, a.ID))
		must(e.svc.Transition(ctx, e.p["lo1"], "", c, a.ID, legal.StatusDraft, "clause 3 must change"))
		_, err = e.svc.UpdateDraft(ctx, e.p["lo1"], "", c, a.ID, legal.AgreementInput{Kind: legal.KindLeniency, Terms: "terms v2",
			Obligations: []legal.Obligation{{Kind: legal.ObligationInterviews, Count: 2, From: "2026-02-01", Until: "2027-01-31"}}})
		if err != nil {
			t.Fatal(err)
		}
		must(e.svc.Transition(ctx, e.p["lo1"], "", c, a.ID, legal.StatusUnderReview, "changed as asked"))
		got, err := e.svc.Sign(ctx, e.p["lo2"], "", c, a.ID)
		if err != nil || got.Status != legal.StatusUnderReview || len(got.Signatures) != 1 {
			t.Fatalf("a signature of an earlier round counted: %+v, %v", got, err)
		}
		full, err := e.svc.Agreement(ctx, e.p["lo1"], "", c, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if full.Terms != "terms v2" || full.Kind != legal.KindLeniency || len(full.Obligations) != 1 || full.Obligations[0].Kind != legal.ObligationInterviews {
			t.Fatalf("edited draft %+v", full)
		}
		var reasons []string
		for _, ev := range full.History {
			reasons = append(reasons, string(ev.From)+">"+string(ev.To)+":"+ev.Reason)
		}
		want := []string{">draft:", "draft>under_review:review please", "under_review>draft:clause 3 must change", "draft>draft:", "draft>under_review:changed as asked"}
		if !slices.Equal(reasons, want) {
			t.Fatalf("history %v, want %v", reasons, want)
		}
		_, err = e.svc.UpdateDraft(ctx, e.p["lo1"], "", c, a.ID, draft("too late"))
		wantKey(t, "editing under review", err, "legal.error.not_draft")
	})
}

func TestIllegalTransitionsAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "cw", "lo1", "Fern")
		signed := e.signedAgreement(t, c)
		cases := []struct {
			name string
			to   legal.Status
			kind errs.Kind
			key  string
		}{
			{"signed to draft", legal.StatusDraft, errs.Conflict, "legal.error.transition"},
			{"signed to fulfilled", legal.StatusFulfilled, errs.Conflict, "legal.error.transition"},
			{"signed to breached", legal.StatusBreached, errs.Conflict, "legal.error.transition"},
			{"signed to signed", legal.StatusSigned, errs.Conflict, "legal.error.sign_via_signing"},
			{"signed to active without document", legal.StatusActive, errs.Conflict, "legal.error.activate_needs_document"},
			{"unknown status", legal.Status("approved"), errs.Invalid, "legal.error.status"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.Transition(ctx, e.p["lo1"], "", c, signed.ID, tc.to, "a reason")
				wantKind(t, tc.name, err, tc.kind)
				wantKey(t, tc.name, err, tc.key)
			})
		}
		_, err := e.svc.Transition(ctx, e.p["lo1"], "", c, signed.ID, legal.StatusActive, "")
		wantKind(t, "no reason", err, errs.Invalid)

		// A draft cannot jump ahead.
		c2 := e.newCase(t, "cw", "lo1", "Gorse")
		d, err := e.svc.CreateAgreement(ctx, e.p["lo1"], "", c2, draft("terms"))
		if err != nil {
			t.Fatal(err)
		}
		for _, to := range []legal.Status{legal.StatusActive, legal.StatusFulfilled, legal.StatusBreached} {
			_, err := e.svc.Transition(ctx, e.p["lo1"], "", c2, d.ID, to, "skip ahead")
			wantKey(t, "draft to "+string(to), err, "legal.error.transition")
		}
		// No obligations: not ready for review.
		if _, err := e.svc.UpdateDraft(ctx, e.p["lo1"], "", c2, d.ID, legal.AgreementInput{Terms: "terms"}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Transition(ctx, e.p["lo1"], "", c2, d.ID, legal.StatusUnderReview, "review")
		wantKey(t, "review without obligations", err, "legal.error.no_obligations")
		// Revoking needs a fresh sign-in and a reason; a revoked agreement is final.
		stale := *e.p["lo1"]
		stale.AuthAt = time.Now().Add(-time.Hour)
		_, err = e.svc.Transition(ctx, &stale, "", c2, d.ID, legal.StatusRevoked, "abandoned")
		wantKey(t, "revoke with a stale sign-in", err, "error.step_up")
		if _, err := e.svc.Transition(ctx, e.p["lo1"], "", c2, d.ID, legal.StatusRevoked, "abandoned"); err != nil {
			t.Fatal(err)
		}
		for _, to := range []legal.Status{legal.StatusDraft, legal.StatusUnderReview, legal.StatusActive, legal.StatusRevoked} {
			_, err := e.svc.Transition(ctx, e.p["lo1"], "", c2, d.ID, to, "after revoke")
			wantKind(t, "revoked to "+string(to), err, errs.Conflict)
		}
		// Once revoked, a new agreement may be drafted.
		if _, err := e.svc.CreateAgreement(ctx, e.p["lo1"], "", c2, draft("new terms")); err != nil {
			t.Fatalf("a new draft after revoking: %v", err)
		}
	})
}

// A breach is a legal officer's act with a reason, never automatic: nothing else in
// the service moves an agreement (withdrawal of consent lives elsewhere and must not).
func TestBreachOnlyByALegalOfficerWithAReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "cw", "lo1", "Hazel")
		a := e.signedAgreement(t, c)
		pdf := []byte("%PDF-1.7\nsigned\n%%EOF")
		if _, err := e.svc.UploadDocument(ctx, e.p["lo1"], "", c, a.ID, pdf); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Transition(ctx, e.p["lo2"], "", c, a.ID, legal.StatusActive, "in force from today"); err != nil {
			t.Fatal(err)
		}
		sum, err := e.svc.Status(ctx, c.TenantID, c.ID)
		if err != nil || sum.Agreement != legal.StatusActive || len(sum.Blocking) != 0 {
			t.Fatalf("summary of an active agreement: %+v, %v", sum, err)
		}
		_, err = e.svc.Transition(ctx, e.p["sup"], "", c, a.ID, legal.StatusBreached, "missed a forum")
		wantKind(t, "supervisor recording a breach", err, errs.Forbidden)
		_, err = e.svc.Transition(ctx, e.p["lo1"], "", c, a.ID, legal.StatusBreached, "  ")
		wantKind(t, "breach without a reason", err, errs.Invalid)
		if sum, _ := e.svc.Status(ctx, c.TenantID, c.ID); sum.Agreement != legal.StatusActive {
			t.Fatalf("status moved without an officer's act: %s", sum.Agreement)
		}
		got, err := e.svc.Transition(ctx, e.p["lo1"], "", c, a.ID, legal.StatusBreached, "CANARY-REASON refused to attend two forums")
		if err != nil || got.Status != legal.StatusBreached {
			t.Fatalf("breach: %+v, %v", got, err)
		}
		var reason []byte
		if err := db.Reader().QueryRow(ctx, `SELECT reason FROM legal_agreement_events WHERE agreement_id = ? AND to_status = 'breached'`, a.ID).Scan(&reason); err != nil ||
			bytes.Contains(reason, []byte("CANARY")) {
			t.Fatalf("breach reason stored as %q, %v", reason, err)
		}
		if acts := e.actions(t, "tenant-a"); acts[0] != "legal.agreement.breached:ok" {
			t.Fatalf("audit %v", acts)
		}
		if sum, _ := e.svc.Status(ctx, c.TenantID, c.ID); !slices.Equal(sum.Blocking, []string{legal.BlockAgreementEnded}) || !sum.CanCreateAgreement {
			t.Fatalf("summary after breach %+v", sum)
		}
	})
}

func TestSignedDocumentRoundTripSealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "cw", "lo1", "Iris")
		a := e.signedAgreement(t, c)
		// A document larger than one page of a form, with a canary in the middle.
		doc := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0123456789"), 20000)...)
		doc = append(doc, []byte("CANARY-SIGNED-DOCUMENT\n%%EOF\n")...)
		_, err := e.svc.UploadDocument(ctx, e.p["lo1"], "", c, a.ID, []byte("<html><script>alert(1)</script>"))
		wantKey(t, "html upload", err, "legal.error.document_type")
		_, err = e.svc.UploadDocument(ctx, e.p["lo1"], "", c, a.ID, make([]byte, legal.MaxDocumentSize+1))
		wantKey(t, "oversized upload", err, "legal.error.document_too_large")
		_, err = e.svc.UploadDocument(ctx, e.p["sup"], "", c, a.ID, doc)
		wantKind(t, "supervisor upload", err, errs.Forbidden)
		d, err := e.svc.UploadDocument(ctx, e.p["lo1"], "req-up", c, a.ID, doc)
		if err != nil {
			t.Fatal(err)
		}
		if d.ContentType != "application/pdf" || d.Size != int64(len(doc)) {
			t.Fatalf("document %+v", d)
		}
		var raw []byte
		if err := db.Reader().QueryRow(ctx, `SELECT content FROM legal_documents WHERE id = ?`, d.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if len(raw) < len(doc) || bytes.Contains(raw, []byte("CANARY-SIGNED-DOCUMENT")) || bytes.Contains(raw, []byte("%PDF")) {
			t.Fatal("the signed document is stored in clear")
		}
		for _, who := range []string{"lo2", "sup"} {
			got, content, err := e.svc.Download(ctx, e.p[who], "req-down", c, a.ID, d.ID)
			if err != nil || !bytes.Equal(content, doc) || got.ContentType != "application/pdf" {
				t.Fatalf("%s download: %v (%d bytes)", who, err, len(content))
			}
		}
		_, _, err = e.svc.Download(ctx, e.p["comms"], "", c, a.ID, d.ID)
		wantKind(t, "comms officer download", err, errs.Forbidden)
		_, _, err = e.svc.Download(ctx, e.p["lo1"], "", c, a.ID, "no-such-document")
		wantKind(t, "unknown document", err, errs.NotFound)
		acts := e.actions(t, "tenant-a")
		if acts[0] != "legal.document.download:ok" || acts[1] != "legal.document.download:ok" || acts[2] != "legal.document.upload:ok" {
			t.Fatalf("audit %v", acts)
		}
		// A PNG is accepted too, as another document: nothing is replaced.
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
		if _, err := e.svc.UploadDocument(ctx, e.p["lo2"], "", c, a.ID, png); err != nil {
			t.Fatal(err)
		}
		full, err := e.svc.Agreement(ctx, e.p["lo1"], "", c, a.ID)
		if err != nil || len(full.Documents) != 2 || full.Documents[0].ContentType != "image/png" {
			t.Fatalf("documents %+v, %v", full.Documents, err)
		}
		// Uploads belong to signed or active agreements only.
		c2 := e.newCase(t, "cw", "lo1", "Juniper")
		dr, err := e.svc.CreateAgreement(ctx, e.p["lo1"], "", c2, draft("terms"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.UploadDocument(ctx, e.p["lo1"], "", c2, dr.ID, doc)
		wantKey(t, "upload to a draft", err, "legal.error.document_status")
	})
}

func TestTenantAndRoleIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "cw", "lo1", "Kale")
		a := e.signedAgreement(t, c)
		// Another tenant's legal officer cannot even open the case.
		if _, err := e.cases.Open(ctx, e.p["loB"], c.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("tenant B opened A's case: %v", err)
		}
		// A case handed over by mistake is refused too: the principal's tenant must match.
		_, _, err := e.svc.RecordScreening(ctx, e.p["loB"], "", c, legal.ScreeningInput{CapitalCrime: legal.FindingNo})
		wantKind(t, "screening across tenants", err, errs.NotFound)
		_, err = e.svc.Details(ctx, e.p["loB"], "", c)
		wantKind(t, "details across tenants", err, errs.NotFound)
		// B's own case with A's agreement id: not found.
		cB := e.newCase(t, "cwB", "loB", "Kale")
		_, err = e.svc.Transition(ctx, e.p["loB"], "", cB, a.ID, legal.StatusRevoked, "probe")
		wantKind(t, "transition of another tenant's agreement", err, errs.NotFound)
		_, err = e.svc.Sign(ctx, e.p["loB"], "", cB, a.ID)
		wantKind(t, "signing another tenant's agreement", err, errs.NotFound)
		dB, err := e.svc.Details(ctx, e.p["loB"], "", cB)
		if err != nil || len(dB.Agreements) != 0 || dB.Screening != nil {
			t.Fatalf("B sees %+v, %v", dB, err)
		}
		if sum, _ := e.svc.Status(ctx, "tenant-b", c.ID); sum.Screened || sum.Agreement != "" {
			t.Fatalf("status across tenants: %+v", sum)
		}
		// Same tenant, other case: the agreement id does not travel either.
		c2 := e.newCase(t, "cw", "lo1", "Laurel")
		_, err = e.svc.Agreement(ctx, e.p["lo1"], "", c2, a.ID)
		wantKind(t, "agreement of another case", err, errs.NotFound)
		// Roles: comms officers and case workers read nothing; supervisors write nothing.
		for _, who := range []string{"comms", "cw"} {
			_, err := e.svc.Details(ctx, e.p[who], "", c)
			wantKind(t, who+" reading", err, errs.Forbidden)
		}
		_, _, err = e.svc.RecordScreening(ctx, e.p["sup"], "", c, legal.ScreeningInput{CapitalCrime: legal.FindingNo})
		wantKind(t, "supervisor screening", err, errs.Forbidden)
		_, err = e.svc.CreateAgreement(ctx, e.p["sup"], "", c2, draft("terms"))
		wantKind(t, "supervisor drafting", err, errs.Forbidden)
		if _, err := e.svc.Details(ctx, e.p["sup"], "", c); err != nil {
			t.Fatalf("supervisor reading: %v", err)
		}
	})
}

func TestObligationProgressFromTheCounter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "cw", "lo1", "Myrtle")
		a, err := e.svc.CreateAgreement(ctx, e.p["lo1"], "", c, draft("terms"))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range a.Obligations {
			if o.Progress == nil || o.Progress.Known || o.Progress.NoteKey != "legal.obligation.not_counted" || o.Progress.Note != "not counted by the program's records yet" {
				t.Fatalf("progress without a counter: %+v", o.Progress)
			}
		}
		type call struct {
			kind        string
			from, until time.Time
		}
		var calls []call
		e.svc.SetObligationCounter(func(ctx context.Context, tenantID, returneeID, kind string, from, until time.Time) (int, error) {
			if tenantID != c.TenantID || returneeID != c.ID {
				t.Errorf("counted for %s/%s", tenantID, returneeID)
			}
			calls = append(calls, call{kind, from, until})
			if kind == string(legal.ObligationForums) {
				return 2, nil
			}
			return 1, nil
		})
		full, err := e.svc.Agreement(ctx, e.p["lo1"], "", c, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		forums, testimony := full.Obligations[0].Progress, full.Obligations[1].Progress
		if !forums.Known || forums.Counted != 2 || forums.Met || !testimony.Met {
			t.Fatalf("progress %+v %+v", forums, testimony)
		}
		if len(calls) != 2 || !calls[0].from.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || !calls[0].until.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("counter calls %+v", calls)
		}
	})
}

func TestErasedCaseShowsNothingAndTakesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "cw", "lo1", "Nettle")
		a := e.signedAgreement(t, c)
		if _, err := e.svc.UploadDocument(ctx, e.p["lo1"], "", c, a.ID, []byte("%PDF-1.4 CANARY")); err != nil {
			t.Fatal(err)
		}
		if err := e.cases.Erase(ctx, e.p["sup"], "", c.ID); err != nil {
			t.Fatal(err)
		}
		c, err := e.cases.Open(ctx, e.p["lo1"], c.ID)
		if err != nil || !c.Erased {
			t.Fatalf("erased case %+v, %v", c, err)
		}
		d, err := e.svc.Details(ctx, e.p["lo1"], "", c)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Agreements) != 1 || !d.Agreements[0].Sealed || d.Agreements[0].Terms != "" || d.Agreements[0].Status != legal.StatusSigned {
			t.Fatalf("erased agreement %+v", d.Agreements)
		}
		_, _, err = e.svc.Download(ctx, e.p["lo1"], "", c, a.ID, d.Agreements[0].Documents[0].ID)
		wantKind(t, "download after erasure", err, errs.Conflict)
		_, _, err = e.svc.RecordScreening(ctx, e.p["lo1"], "", c, legal.ScreeningInput{CapitalCrime: legal.FindingNo})
		wantKey(t, "screening after erasure", err, "error.returnee_erased")
	})
}

// Two officers signing at the same moment, and two drafting at the same moment: the
// row lock and the one-live-agreement index keep the rules on both stores.
func TestConcurrentSigningAndDrafting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c := e.newCase(t, "cw", "lo1", "Olive")
		if _, _, err := e.svc.RecordScreening(ctx, e.p["lo1"], "", c, legal.ScreeningInput{CapitalCrime: legal.FindingNo}); err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.CreateAgreement(ctx, e.p["lo1"], "", c, draft("terms"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Transition(ctx, e.p["lo1"], "", c, a.ID, legal.StatusUnderReview, "review"); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 2)
		for _, who := range []string{"lo1", "lo2"} {
			go func() { _, err := e.svc.Sign(ctx, e.p[who], "", c, a.ID); errc <- err }()
		}
		for range 2 {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		got, err := e.svc.Agreement(ctx, e.p["lo1"], "", c, a.ID)
		if err != nil || got.Status != legal.StatusSigned || len(got.Signatures) != 2 || got.History[len(got.History)-1].To != legal.StatusSigned {
			t.Fatalf("after concurrent signatures: %+v, %v", got, err)
		}
		var signedEvents int
		for _, ev := range got.History {
			if ev.To == legal.StatusSigned {
				signedEvents++
			}
		}
		if signedEvents != 1 {
			t.Fatalf("%d signed events", signedEvents)
		}

		c2 := e.newCase(t, "cw", "lo1", "Pine")
		for _, who := range []string{"lo1", "lo2"} {
			go func() { _, err := e.svc.CreateAgreement(ctx, e.p[who], "", c2, draft("terms by "+who)); errc <- err }()
		}
		var ok, conflict int
		for range 2 {
			switch err := <-errc; {
			case err == nil:
				ok++
			case errs.Is(err, errs.Conflict):
				conflict++
			default:
				t.Fatal(err)
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("concurrent drafts: %d created, %d refused", ok, conflict)
		}
	})
}
