package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"
)

func tokenCmd(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		fmt.Fprintln(e.stderr, "usage: inoculate token create --tenant S --user U | token list --tenant S --user U | token revoke --tenant S --id ID")
		return errUsage
	}
	sub, rest := e.args[0], e.args[1:]
	fs := newFlags("token "+sub, e)
	var c common
	c.register(fs)
	tenant := fs.String("tenant", "", "tenant slug")
	var user, id *string
	switch sub {
	case "create", "list":
		user = fs.String("user", "", "user name the token acts as")
	case "revoke":
		id = fs.String("id", "", "token id (from token list)")
	default:
		fmt.Fprintf(e.stderr, "inoculate token: unknown subcommand %q (create, list, revoke)\n", sub)
		return errUsage
	}
	if err := parse(fs, rest); err != nil {
		return err
	}
	if err := required(fs, "tenant", "user", "id"); err != nil {
		return err
	}
	a, err := openApp(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	t, err := a.Auth.TenantBySlug(ctx, *tenant)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", *tenant, err)
	}
	switch sub {
	case "create", "list":
		u, err := a.Auth.UserByName(ctx, t.ID, *user)
		if err != nil {
			return fmt.Errorf("user %q: %w", *user, err)
		}
		if sub == "create" {
			_, raw, err := a.Auth.CreateToken(ctx, cliActor, t.ID, u.ID)
			if err != nil {
				return err
			}
			// Only the token, so scripts can capture it: TOKEN=$(inoculate token create …)
			fmt.Fprintln(e.stdout, raw)
			return nil
		}
		toks, err := a.Auth.Tokens(ctx, t.ID, u.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCREATED\tLAST USED\tREVOKED")
		for _, k := range toks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.CreatedAt.Format(time.RFC3339), optTime(k.LastUsedAt), optTime(k.RevokedAt))
		}
		return tw.Flush()
	case "revoke":
		if err := a.Auth.RevokeToken(ctx, cliActor, t.ID, *id); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "revoked token %s\n", *id)
	}
	return nil
}

func optTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}
