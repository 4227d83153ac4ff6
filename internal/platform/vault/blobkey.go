package vault

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"

	"inoculate/internal/platform/store"
)

// BlobKey derives the key that encrypts a subject's large files (recordings,
// renditions) from the subject's data key, so erasing the person (shredding the data
// key) makes every such file unreadable too, copies and backups included. The data
// key itself never leaves the vault; purpose separates the keys of different uses.
// The caller owns (and should clear) the returned slice.
func (v *Vault) BlobKey(ctx context.Context, db *store.DB, tenantID, subject, purpose string) ([]byte, error) {
	if tenantID == "" || subject == "" || purpose == "" {
		return nil, fmt.Errorf("vault: blob key: tenant, subject and purpose are required")
	}
	if v.tomb.Shredded(subject) {
		return nil, fmt.Errorf("vault: blob key: %w", ErrShredded)
	}
	var key []byte
	err := db.InTx(ctx, func(tx *store.Tx) error {
		dek, err := v.dataKeyForSeal(ctx, tx, tenantID, subject)
		if err != nil {
			return err
		}
		defer clear(dek)
		key, err = hkdf.Key(sha256.New, dek, []byte(tenantID+"\x00"+subject), "inoculate blob key v1\x00"+purpose, 32)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vault: blob key: %w", err)
	}
	return key, nil
}
