package returnees

import (
	"context"
	"database/sql"
	"errors"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// RedactionTerms opens what of a returnee's identity must never appear in anything
// released: the legal name and the address, with the home community (in clear). It
// is a read of identity for a machine, not a person — the testimonies capability
// flags these words in transcripts and never shows the names themselves — and it is
// audited like any other read. Nothing for an erased person.
func (s *Service) RedactionTerms(ctx context.Context, tenantID, returneeID, requestID string) (legalName, address, home string, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var name, addr []byte
		var erased *int64
		if err := tx.QueryRow(ctx, `SELECT legal_name, address, home_community, erased_at FROM returnees WHERE tenant_id = ? AND id = ?`,
			tenantID, returneeID).Scan(&name, &addr, &home, &erased); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return errNotFound
			}
			return errs.Wrap(err, "returnees: redaction terms")
		}
		if erased != nil {
			return nil
		}
		for _, f := range []struct {
			col string
			ct  []byte
			out *string
		}{{"legal_name", name, &legalName}, {"address", addr, &address}} {
			if f.ct == nil {
				continue
			}
			pt, err := s.vault.Open(ctx, tx, ref(tenantID, returneeID, f.col), f.ct)
			if err != nil {
				return errs.Wrap(err, "returnees: open "+f.col)
			}
			*f.out = string(pt)
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{TenantID: tenantID, ActorID: "system", Action: "returnee.identity_for_redaction",
			Object: returneeID, Result: "ok", RequestID: requestID})
		return err
	})
	return legalName, address, home, err
}
