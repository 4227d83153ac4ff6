package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
)

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func auditCmd(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		fmt.Fprintln(e.stderr, "usage: inoculate audit verify [--checkpoint FILE]… [--verifier-key KEY|FILE] | inoculate audit checkpoint | inoculate audit key")
		return errUsage
	}
	sub, rest := e.args[0], e.args[1:]
	fs := newFlags("audit "+sub, e)
	var c common
	c.register(fs)
	switch sub {
	case "verify":
		var cps multiFlag
		fs.Var(&cps, "checkpoint", "an exported earlier checkpoint file to check consistency against (repeatable)")
		vkey := fs.String("verifier-key", "", "the audit verifier key (default: from the key file); a third party uses the key the operator published")
		if err := parse(fs, rest); err != nil {
			return err
		}
		return auditVerify(ctx, e, c, cps, *vkey)
	case "checkpoint":
		if err := parse(fs, rest); err != nil {
			return err
		}
		// Read-only: open the database without migrating or the web wiring.
		db, err := store.Open(ctx, store.Config{URL: c.db, DataDir: c.data})
		if err != nil {
			return err
		}
		defer db.Close()
		kf, err := vault.OpenKeyFile(c.config().KeysFile())
		if err != nil {
			return err
		}
		signer, err := kf.AuditSigner()
		if err != nil {
			return err
		}
		cp, err := audit.New(db, signer).SaveCheckpoint(ctx)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(cp)
		return err
	case "key":
		if err := parse(fs, rest); err != nil {
			return err
		}
		kf, err := vault.OpenKeyFile(c.config().KeysFile())
		if err != nil {
			return err
		}
		// The public half only: what witnesses and auditors need to verify.
		fmt.Fprintln(e.stdout, kf.AuditVerifierKey())
		return nil
	}
	fmt.Fprintf(e.stderr, "inoculate audit: unknown subcommand %q (verify, checkpoint, key)\n", sub)
	return errUsage
}

func auditVerify(ctx context.Context, e env, c common, cpFiles []string, vkey string) error {
	if vkey == "" {
		kf, err := vault.OpenKeyFile(c.config().KeysFile())
		if err != nil {
			return fmt.Errorf("%w (a third party without the key file passes --verifier-key)", err)
		}
		vkey = kf.AuditVerifierKey()
	} else if b, err := os.ReadFile(vkey); err == nil {
		vkey = strings.TrimSpace(string(b))
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return fmt.Errorf("verifier key: %w", err)
	}
	var earlier [][]byte
	for _, f := range cpFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read checkpoint: %w", err)
		}
		earlier = append(earlier, b)
	}
	db, err := store.Open(ctx, store.Config{URL: c.db, DataDir: c.data})
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := audit.Verify(ctx, db.Reader(), verifier, earlier)
	for _, p := range rep.Problems {
		fmt.Fprintf(e.stdout, "FAIL: %s\n", p)
	}
	if err != nil {
		if len(rep.Problems) == 0 {
			return err
		}
		return errors.New("the audit log does NOT verify: see the lines above")
	}
	fmt.Fprintf(e.stdout, "OK: %d entries, root %s, %d checkpoints checked (%d exported)\n",
		rep.Size, hex.EncodeToString(rep.Root), rep.CheckpointsChecked, len(earlier))
	return nil
}
