// Package legal is the legal part of a returnee's case: the screening of alleged
// offences with the legal officer's finding on capital crimes, referrals to
// prosecution, and the cooperation / immunity agreement with its typed obligations,
// its status machine, the two-person signing rule and the sealed signed document.
//
// Only legal officers write here; legal officers and supervisors read. Every free
// text is sealed with the returnee's data key (erasure shreds it), every change and
// every read of sealed content is audited, and the case is always opened through
// caseref.Cases first, which enforces tenant and caseload.
//
// Consent is deliberately not here: withdrawing consent is never a breach of the
// agreement, and nothing in this package moves an agreement on its own.
package legal

import (
	"context"
	"errors"
	"time"
)

// Finding is the legal officer's finding on capital crimes.
type Finding string

const (
	FindingYes          Finding = "yes"
	FindingNo           Finding = "no"
	FindingUndetermined Finding = "undetermined"
)

// Findings lists the findings in the order forms show them.
var Findings = []Finding{FindingNo, FindingUndetermined, FindingYes}

func (f Finding) valid() bool {
	return f == FindingYes || f == FindingNo || f == FindingUndetermined
}

// Kind is the kind of agreement.
type Kind string

const (
	KindImmunity Kind = "immunity"
	KindLeniency Kind = "leniency"
)

// Kinds lists the agreement kinds.
var Kinds = []Kind{KindImmunity, KindLeniency}

// Status is where an agreement stands:
// draft → under_review → signed → active → fulfilled | breached | revoked.
type Status string

const (
	StatusDraft       Status = "draft"
	StatusUnderReview Status = "under_review"
	StatusSigned      Status = "signed"
	StatusActive      Status = "active"
	StatusFulfilled   Status = "fulfilled"
	StatusBreached    Status = "breached"
	StatusRevoked     Status = "revoked"
)

// Statuses lists every status in the order of the machine.
var Statuses = []Status{StatusDraft, StatusUnderReview, StatusSigned, StatusActive, StatusFulfilled, StatusBreached, StatusRevoked}

// Live reports whether an agreement in status s is in progress or in force (at most
// one such agreement per person).
func (s Status) Live() bool {
	return s == StatusDraft || s == StatusUnderReview || s == StatusSigned || s == StatusActive
}

// transitions is the status machine, signing aside: "signed" is reached only by the
// second of two different legal officers' signatures (Sign). Going back from review
// to draft voids the signatures of that round.
var transitions = map[Status][]Status{
	StatusDraft:       {StatusUnderReview, StatusRevoked},
	StatusUnderReview: {StatusDraft, StatusRevoked},
	StatusSigned:      {StatusActive, StatusRevoked},
	StatusActive:      {StatusFulfilled, StatusBreached, StatusRevoked},
}

// Next returns the statuses a Transition may move s to (signing not included).
func (s Status) Next() []Status { return transitions[s] }

// ObligationKind is a typed obligation of an agreement.
type ObligationKind string

const (
	ObligationForums     ObligationKind = "public_forums"
	ObligationInterviews ObligationKind = "media_interviews"
	ObligationTestimony  ObligationKind = "recorded_testimony"
)

// ObligationKinds lists the obligation kinds in the order forms show them.
var ObligationKinds = []ObligationKind{ObligationForums, ObligationInterviews, ObligationTestimony}

func (k ObligationKind) valid() bool {
	return k == ObligationForums || k == ObligationInterviews || k == ObligationTestimony
}

// ObligationCounter counts what the program's own records hold for an obligation:
// how many engagements or testimonies of kind the returnee took part in within
// [from, until). The engagements and testimonies capabilities provide it; until they
// exist the service counts nothing and says so.
//
// A counter answers ErrNotCounted for a kind no capability records yet.
type ObligationCounter func(ctx context.Context, tenantID, returneeID string, kind string, from, until time.Time) (int, error)

// ErrNotCounted is an ObligationCounter's answer for a kind it does not count.
var ErrNotCounted = errors.New("legal: obligation kind not counted by the program's records")

// Offence is one alleged offence.
type Offence struct {
	Description string `json:"description"`
}

// Screening is one version of a returnee's legal screening.
type Screening struct {
	ID            string    `json:"id"`
	Version       int       `json:"version"`
	CapitalCrime  Finding   `json:"capital_crime"`
	Offences      []Offence `json:"offences"`
	EvidenceNotes string    `json:"evidence_notes"`
	DecidedBy     string    `json:"decided_by"`
	DecidedAt     time.Time `json:"decided_at"`
	// Sealed says the sealed texts were not opened (history rows, or an erased case).
	Sealed bool `json:"sealed,omitempty"`
}

// Referral is a referral to prosecution.
type Referral struct {
	ID          string    `json:"id"`
	ScreeningID string    `json:"screening_id"`
	ReferredOn  string    `json:"referred_on"` // YYYY-MM-DD
	Authority   string    `json:"authority"`   // "" until named
	Note        string    `json:"note"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	Sealed      bool      `json:"sealed,omitempty"`
}

// Obligation is one typed obligation within a period.
type Obligation struct {
	ID       string         `json:"id,omitempty"`
	Kind     ObligationKind `json:"kind"`
	Count    int            `json:"count"`
	From     string         `json:"from"`  // YYYY-MM-DD
	Until    string         `json:"until"` // YYYY-MM-DD, inclusive
	Progress *Progress      `json:"progress,omitempty"`
}

// Progress is how far an obligation is met, counted from the program's records.
type Progress struct {
	Counted int  `json:"counted"`
	Known   bool `json:"known"` // false until a counter is plugged in
	Met     bool `json:"met"`
	Overdue bool `json:"overdue"` // the period ended and it is not met
	// NoteKey is a catalogue key explaining an unknown count; Note is its English text.
	NoteKey string `json:"note_key,omitempty"`
	Note    string `json:"note,omitempty"`
}

// Event is one status change of an agreement.
type Event struct {
	From   Status    `json:"from"`
	To     Status    `json:"to"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Signature is one legal officer's signature in the current review round.
type Signature struct {
	UserID string    `json:"user_id"`
	At     time.Time `json:"at"`
}

// Document is an uploaded signed document, without its content.
type Document struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// Agreement is a cooperation / immunity agreement with everything about it.
type Agreement struct {
	ID          string       `json:"id"`
	ReturneeID  string       `json:"returnee_id"`
	Kind        Kind         `json:"kind"`
	Status      Status       `json:"status"`
	Terms       string       `json:"terms"`
	Obligations []Obligation `json:"obligations"`
	CreatedBy   string       `json:"created_by"`
	CreatedAt   time.Time    `json:"created_at"`
	StatusAt    time.Time    `json:"status_at"`
	Signatures  []Signature  `json:"signatures"`
	Documents   []Document   `json:"documents"`
	History     []Event      `json:"history"`
	Sealed      bool         `json:"sealed,omitempty"`
	round       int
}

// AgreementInput is what a legal officer writes when drafting or editing a draft.
type AgreementInput struct {
	Kind        Kind
	Terms       string
	Obligations []Obligation
}

// ScreeningInput is a new version of the screening. When the finding is "yes", a
// referral to prosecution is recorded in the same transaction, with the referral
// fields if given (the authority may be named later by a further referral).
type ScreeningInput struct {
	CapitalCrime      Finding
	Offences          []Offence
	EvidenceNotes     string
	ReferralAuthority string
	ReferralOn        string // YYYY-MM-DD; "" is the day of the screening
	ReferralNote      string
}

// ReferralInput records a referral to prosecution.
type ReferralInput struct {
	Authority  string
	ReferredOn string // YYYY-MM-DD; "" is today
	Note       string
}

// Details is the whole legal part of a case, sealed texts opened.
type Details struct {
	Screening  *Screening  `json:"screening"` // current, nil when none
	History    []Screening `json:"screening_history"`
	Referrals  []Referral  `json:"referrals"`
	Agreements []Agreement `json:"agreements"` // newest first
	Summary    Summary     `json:"summary"`
}

// Summary is the legal standing of a case for the overview: no sealed content.
type Summary struct {
	Screened    bool      `json:"screened"`
	Finding     Finding   `json:"capital_crime,omitempty"`
	ScreenedAt  time.Time `json:"screened_at,omitzero"`
	Referred    bool      `json:"referred"`
	AgreementID string    `json:"agreement_id,omitempty"` // the live agreement, else the latest
	Agreement   Status    `json:"agreement_status,omitempty"`
	Signatures  int       `json:"signatures"` // in the current review round
	// Blocking lists catalogue keys ("legal.block.…") of what stands, on the legal side,
	// between this person and speaking publicly under an agreement in force.
	Blocking []string `json:"blocking"`
	// CanCreateAgreement says whether a new agreement may be drafted now.
	CanCreateAgreement bool `json:"can_create_agreement"`
}

// Catalogue keys of blocking reasons.
const (
	BlockNoScreening        = "legal.block.no_screening"
	BlockUndetermined       = "legal.block.undetermined"
	BlockCapitalCrime       = "legal.block.capital_crime"
	BlockNoAgreement        = "legal.block.no_agreement"
	BlockAgreementDraft     = "legal.block.agreement_draft"
	BlockAgreementReview    = "legal.block.agreement_under_review"
	BlockAgreementSigned    = "legal.block.agreement_signed"
	BlockAgreementEnded     = "legal.block.agreement_ended"
	BlockFindingAfterSigned = "legal.block.finding_after_signing"
)
