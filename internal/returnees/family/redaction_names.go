package family

import (
	"context"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
)

// RelativeNamesForRedaction opens the names (and the communities, in clear) of the
// returnee's current relatives, for the testimonies capability to flag in
// transcripts: a read by a machine that never shows them to a person, audited.
func (s *Service) RelativeNamesForRedaction(ctx context.Context, tenantID, returneeID, requestID string) (names, places []string, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT v.id, v.name, v.community FROM relatives r
			JOIN relative_versions v ON v.relative_id = r.id AND v.version = r.version AND v.tenant_id = r.tenant_id
			WHERE r.tenant_id = ? AND r.returnee_id = ? AND r.removed_at IS NULL`, tenantID, returneeID)
		if err != nil {
			return errs.Wrap(err, "family: names for redaction")
		}
		type row struct {
			id, community string
			name          []byte
		}
		var list []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.name, &r.community); err != nil {
				rows.Close()
				return errs.Wrap(err, "family: names for redaction")
			}
			list = append(list, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(err, "family: names for redaction")
		}
		for _, r := range list {
			if r.community != "" {
				places = append(places, r.community)
			}
			if len(r.name) == 0 || s.vault.Shredded(returneeID) {
				continue
			}
			pt, err := s.vault.Open(ctx, tx, vault.FieldRef{TenantID: tenantID, Subject: returneeID, Table: "relative_versions", Column: "name", Row: r.id}, r.name)
			if err != nil {
				return errs.Wrap(err, "family: open a relative's name")
			}
			names = append(names, string(pt))
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{TenantID: tenantID, ActorID: "system", Action: "redaction.relative_names",
			Object: returneeID, Result: "ok", RequestID: requestID})
		return err
	})
	return names, places, err
}
