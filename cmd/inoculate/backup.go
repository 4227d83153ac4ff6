package main

import (
	"context"
	"fmt"

	"inoculate/internal/platform/backup"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
)

func backupCmd(ctx context.Context, e env) error {
	fs := newFlags("backup", e)
	var c common
	c.register(fs)
	out := fs.String("out", "", "backup file to write (created 0600)")
	if err := parse(fs, e.args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Config{URL: c.db, DataDir: c.data})
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := backup.WriteFile(ctx, db, *out)
	if err != nil {
		return err
	}
	var rows int64
	for _, n := range m.Tables {
		rows += n
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d rows from %d tables, schema version %d, sha256 %s\n", *out, rows, len(m.Tables), m.SchemaVersion, m.SHA256)
	fmt.Fprintln(e.stdout, "The backup holds identity fields only encrypted; their keys are in the key file, which you back up separately.")
	return nil
}

func restoreCmd(ctx context.Context, e env) error {
	fs := newFlags("restore", e)
	var c common
	c.register(fs)
	in := fs.String("in", "", "backup file to restore")
	if err := parse(fs, e.args); err != nil {
		return err
	}
	if err := required(fs, "in"); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Config{URL: c.db, DataDir: c.data})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	m, err := backup.RestoreFile(ctx, db, *in)
	if err != nil {
		return err
	}
	// People erased after the backup was taken stay erased (SECURITY.md P31).
	kf, err := vault.OpenKeyFile(c.config().KeysFile())
	if err != nil {
		return err
	}
	n, err := vault.New(kf, kf).ApplyTombstones(ctx, db)
	if err != nil {
		return err
	}
	var rows int64
	for _, k := range m.Tables {
		rows += k
	}
	fmt.Fprintf(e.stdout, "restored %d rows from %s (taken %s); %d erased people's keys destroyed again\n", rows, *in, m.CreatedAt.Format("2006-01-02 15:04 MST"), n)
	fmt.Fprintln(e.stdout, "Next: inoculate audit verify --checkpoint <your last exported checkpoint>")
	return nil
}
