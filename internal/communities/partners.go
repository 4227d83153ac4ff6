package communities

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
)

// PartnerKind is the kind of a partner organisation.
type PartnerKind string

// PartnerKindValues lists the kinds in display order.
var PartnerKindValues = []PartnerKind{"mosque", "centre", "ngo", "school", "other"}

func (k PartnerKind) valid() bool {
	for _, x := range PartnerKindValues {
		if x == k {
			return true
		}
	}
	return false
}

// Partner is a partner organisation of a community; its name is public and plain.
// Contacts is nil for a reader who may not see contacts.
type Partner struct {
	ID          string      `json:"id"`
	CommunityID string      `json:"community_id"`
	Kind        PartnerKind `json:"kind"`
	Name        string      `json:"name"`
	Contacts    []Contact   `json:"contacts,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
}

// NewPartner is the input of AddPartner.
type NewPartner struct {
	Kind PartnerKind `json:"kind"`
	Name string      `json:"name"`
}

// Contact is a contact person of a partner, without the sealed details: only which
// ones are recorded.
type Contact struct {
	ID        string    `json:"id"`
	PartnerID string    `json:"partner_id"`
	HasPhone  bool      `json:"has_phone"`
	HasEmail  bool      `json:"has_email"`
	CreatedAt time.Time `json:"created_at"`
}

// ContactDetails are the sealed details of a contact person: the input of AddContact
// and the answer of RevealContact.
type ContactDetails struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

func (in ContactDetails) normalize() (ContactDetails, error) {
	var err error
	if in.Name, err = cleanText("contact_name", in.Name, true, 200); err != nil {
		return in, err
	}
	if in.Phone, err = cleanText("phone", in.Phone, false, 40); err != nil {
		return in, err
	}
	for _, r := range in.Phone {
		if !strings.ContainsRune("0123456789+-() .", r) {
			return in, &errs.Error{Kind: errs.Invalid, Field: "phone", MsgKey: "communities.error.phone", Msg: "not a phone number"}
		}
	}
	if in.Email, err = cleanText("email", in.Email, false, 254); err != nil {
		return in, err
	}
	if in.Email != "" {
		a, err := mail.ParseAddress(in.Email)
		if err != nil || a.Address != in.Email {
			return in, &errs.Error{Kind: errs.Invalid, Field: "email", MsgKey: "communities.error.email", Msg: "not an email address"}
		}
	}
	return in, nil
}

func contactRef(tenantID, communityID, contactID, column string) vault.FieldRef {
	return vault.FieldRef{TenantID: tenantID, Subject: communityID, Table: "community_partner_contacts", Column: column, Row: contactID}
}

var (
	errPartnerNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "communities.error.partner_not_found", Msg: "no such partner"}
	errContactNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "communities.error.contact_not_found", Msg: "no such contact"}
)

// AddPartner records a partner organisation of the community.
func (s *Service) AddPartner(ctx context.Context, p *authz.Principal, requestID, communityID string, in NewPartner) (Partner, error) {
	if err := check(PermWrite, p); err != nil {
		return Partner{}, err
	}
	in.Kind = PartnerKind(strings.TrimSpace(string(in.Kind)))
	if !in.Kind.valid() {
		return Partner{}, &errs.Error{Kind: errs.Invalid, Field: "partner_kind", MsgKey: "communities.error.partner_kind", Msg: "unknown kind of partner"}
	}
	name, err := cleanText("partner_name", in.Name, true, 200)
	if err != nil {
		return Partner{}, err
	}
	id, err := newID()
	if err != nil {
		return Partner{}, err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockCommunity(ctx, tx, p.TenantID, communityID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO community_partners (id, tenant_id, community_id, kind, name, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, p.TenantID, communityID, string(in.Kind), name, p.UserID, store.Millis(now)); err != nil {
			return errs.Wrap(err, "communities: add partner")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "community.partner_add", id))
		return err
	})
	if err != nil {
		return Partner{}, err
	}
	return Partner{ID: id, CommunityID: communityID, Kind: in.Kind, Name: name, CreatedAt: store.FromMillis(store.Millis(now))}, nil
}

// RemovePartner takes a partner (and its contacts) off the community; the rows stay.
func (s *Service) RemovePartner(ctx context.Context, p *authz.Principal, requestID, communityID, partnerID string) error {
	if err := check(PermWrite, p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockCommunity(ctx, tx, p.TenantID, communityID); err != nil {
			return err
		}
		now := store.Millis(s.now())
		res, err := tx.Exec(ctx, `UPDATE community_partners SET removed_at = ?, removed_by = ?
			WHERE tenant_id = ? AND community_id = ? AND id = ? AND removed_at IS NULL`, now, p.UserID, p.TenantID, communityID, partnerID)
		if err != nil {
			return errs.Wrap(err, "communities: remove partner")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errPartnerNotFound
		}
		if _, err := tx.Exec(ctx, `UPDATE community_partner_contacts SET removed_at = ?, removed_by = ?
			WHERE tenant_id = ? AND partner_id = ? AND removed_at IS NULL`, now, p.UserID, p.TenantID, partnerID); err != nil {
			return errs.Wrap(err, "communities: remove partner contacts")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "community.partner_remove", partnerID))
		return err
	})
}

// AddContact records a contact person of a partner, every detail sealed.
func (s *Service) AddContact(ctx context.Context, p *authz.Principal, requestID, communityID, partnerID string, in ContactDetails) (Contact, error) {
	if err := check(PermWrite, p); err != nil {
		return Contact{}, err
	}
	in, err := in.normalize()
	if err != nil {
		return Contact{}, err
	}
	id, err := newID()
	if err != nil {
		return Contact{}, err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockCommunity(ctx, tx, p.TenantID, communityID); err != nil {
			return err
		}
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM community_partners WHERE tenant_id = ? AND community_id = ? AND id = ? AND removed_at IS NULL`,
			p.TenantID, communityID, partnerID).Scan(&one)
		if isNoRows(err) {
			return errPartnerNotFound
		}
		if err != nil {
			return errs.Wrap(err, "communities: partner")
		}
		sealed := map[string][]byte{}
		for col, v := range map[string]string{"name": in.Name, "phone": in.Phone, "email": in.Email} {
			if v == "" {
				continue
			}
			ct, err := s.vault.Seal(ctx, tx, contactRef(p.TenantID, communityID, id, col), []byte(v))
			if err != nil {
				return errs.Wrap(err, "communities: seal contact")
			}
			sealed[col] = ct
		}
		if _, err := tx.Exec(ctx, `INSERT INTO community_partner_contacts (id, tenant_id, community_id, partner_id, name, phone, email, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, p.TenantID, communityID, partnerID, sealed["name"], nilIfEmpty(sealed["phone"]),
			nilIfEmpty(sealed["email"]), p.UserID, store.Millis(now)); err != nil {
			return errs.Wrap(err, "communities: add contact")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "community.contact_add", id))
		return err
	})
	if err != nil {
		return Contact{}, err
	}
	return Contact{ID: id, PartnerID: partnerID, HasPhone: in.Phone != "", HasEmail: in.Email != "", CreatedAt: store.FromMillis(store.Millis(now))}, nil
}

func nilIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// RemoveContact takes a contact person off a partner; the sealed row stays.
func (s *Service) RemoveContact(ctx context.Context, p *authz.Principal, requestID, communityID, contactID string) error {
	if err := check(PermWrite, p); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockCommunity(ctx, tx, p.TenantID, communityID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE community_partner_contacts SET removed_at = ?, removed_by = ?
			WHERE tenant_id = ? AND community_id = ? AND id = ? AND removed_at IS NULL`, store.Millis(s.now()), p.UserID, p.TenantID, communityID, contactID)
		if err != nil {
			return errs.Wrap(err, "communities: remove contact")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errContactNotFound
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "community.contact_remove", contactID))
		return err
	})
}

// Partners lists the community's partners; contacts (without their sealed details)
// only for the roles that may see them.
func (s *Service) Partners(ctx context.Context, p *authz.Principal, communityID string) ([]Partner, error) {
	if err := check(PermRead, p); err != nil {
		return nil, err
	}
	if _, err := s.Get(ctx, p.TenantID, communityID); err != nil {
		return nil, err
	}
	q := s.db.Reader()
	rows, err := q.Query(ctx, `SELECT id, kind, name, created_at FROM community_partners
		WHERE tenant_id = ? AND community_id = ? AND removed_at IS NULL ORDER BY name, id`, p.TenantID, communityID)
	if err != nil {
		return nil, errs.Wrap(err, "communities: partners")
	}
	out := []Partner{}
	index := map[string]int{}
	for rows.Next() {
		pa := Partner{CommunityID: communityID}
		var kind string
		var created int64
		if err := rows.Scan(&pa.ID, &kind, &pa.Name, &created); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "communities: partners")
		}
		pa.Kind, pa.CreatedAt = PartnerKind(kind), store.FromMillis(created)
		index[pa.ID] = len(out)
		out = append(out, pa)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "communities: partners")
	}
	if !allowed(PermReadContacts, p) {
		return out, nil
	}
	rows, err = q.Query(ctx, `SELECT id, partner_id, phone IS NOT NULL, email IS NOT NULL, created_at FROM community_partner_contacts
		WHERE tenant_id = ? AND community_id = ? AND removed_at IS NULL ORDER BY created_at, id`, p.TenantID, communityID)
	if err != nil {
		return nil, errs.Wrap(err, "communities: contacts")
	}
	defer rows.Close()
	for rows.Next() {
		var c Contact
		var created int64
		if err := rows.Scan(&c.ID, &c.PartnerID, &c.HasPhone, &c.HasEmail, &created); err != nil {
			return nil, errs.Wrap(err, "communities: contacts")
		}
		c.CreatedAt = store.FromMillis(created)
		if i, ok := index[c.PartnerID]; ok {
			out[i].Contacts = append(out[i].Contacts, c)
		}
	}
	return out, errs.Wrap(rows.Err(), "communities: contacts")
}

// RevealContact opens a contact person's sealed details for p, with a written reason
// (sealed) and an audit record written before anything is opened.
func (s *Service) RevealContact(ctx context.Context, p *authz.Principal, requestID, communityID, contactID, reason string) (ContactDetails, error) {
	if err := check(PermReveal, p); err != nil {
		return ContactDetails{}, err
	}
	reason, err := cleanLong("reason", reason, 1000)
	if err != nil {
		return ContactDetails{}, err
	}
	if len([]rune(reason)) < 10 {
		return ContactDetails{}, &errs.Error{Kind: errs.Invalid, Field: "reason", MsgKey: "communities.error.reason", Msg: "give a reason of at least 10 characters"}
	}
	var out ContactDetails
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var name, phone, email []byte
		err := tx.QueryRow(ctx, `SELECT name, phone, email FROM community_partner_contacts
			WHERE tenant_id = ? AND community_id = ? AND id = ? AND removed_at IS NULL`, p.TenantID, communityID, contactID).Scan(&name, &phone, &email)
		if isNoRows(err) {
			return errContactNotFound
		}
		if err != nil {
			return errs.Wrap(err, "communities: contact")
		}
		seq, err := s.audit.Append(ctx, tx, entry(p, requestID, "community.contact_reveal", contactID))
		if err != nil {
			return err
		}
		id, err := newID()
		if err != nil {
			return err
		}
		sealedReason, err := s.vault.Seal(ctx, tx, vault.FieldRef{TenantID: p.TenantID, Subject: communityID, Table: "community_reveals", Column: "reason", Row: id}, []byte(reason))
		if err != nil {
			return errs.Wrap(err, "communities: seal reason")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO community_reveals (id, tenant_id, community_id, contact_id, user_id, reason, audit_seq, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, p.TenantID, communityID, contactID, p.UserID, sealedReason, seq, store.Millis(s.now())); err != nil {
			return errs.Wrap(err, "communities: record reveal")
		}
		open := func(col string, ct []byte) (string, error) {
			if len(ct) == 0 {
				return "", nil
			}
			pt, err := s.vault.Open(ctx, tx, contactRef(p.TenantID, communityID, contactID, col), ct)
			if err != nil {
				return "", errs.Wrap(err, "communities: open contact")
			}
			return string(pt), nil
		}
		if out.Name, err = open("name", name); err != nil {
			return err
		}
		if out.Phone, err = open("phone", phone); err != nil {
			return err
		}
		out.Email, err = open("email", email)
		return err
	})
	return out, err
}
