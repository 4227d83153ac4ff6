package vault

// FieldRef names where a sealed value lives. All of it goes into the AEAD associated
// data, so a ciphertext moved to another tenant, table, column or row fails to open.
// Subject is whose data key seals the value (a returnee id; a user id for TOTP secrets);
// shredding the subject makes every value sealed for it unreadable.
type FieldRef struct {
	TenantID string
	Subject  string
	Table    string
	Column   string
	Row      string
}
