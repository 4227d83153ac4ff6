// Package vault encrypts identifying fields before they reach the database and erases
// them by crypto-shredding.
//
// Envelope encryption: every subject (a returnee, a user) has one random 256-bit data
// key (DEK). The database stores that key only wrapped by its tenant's key-encryption key
// (KEK), and the KEKs live outside the database, in a key file (KeyFile) or later a KMS
// (KeyEncrypter). A copy of the database alone therefore reveals nothing.
//
// Fields are sealed with XChaCha20-Poly1305 under the subject's DEK; the associated data
// binds each ciphertext to its tenant, subject, table, column and row, so a ciphertext
// copied anywhere else fails to open (ErrTampered).
//
// Shredding a subject deletes its data key, which makes every copy of its fields,
// backups included, unreadable. Because restoring an older database backup brings the
// wrapped key back, the shred is first recorded as a tombstone in the key file: Open
// refuses tombstoned subjects whatever the database says, and ApplyTombstones deletes
// resurrected keys at start-up and after a restore (SECURITY.md P31).
package vault
