package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"inoculate/internal/platform/auth"
)

var cliActor = auth.Actor{UserID: "cli"}

func tenantCmd(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		fmt.Fprintln(e.stderr, "usage: inoculate tenant create --slug S --name N | inoculate tenant list")
		return errUsage
	}
	sub, rest := e.args[0], e.args[1:]
	fs := newFlags("tenant "+sub, e)
	var c common
	c.register(fs)
	switch sub {
	case "create":
		slug := fs.String("slug", "", "short identifier used to sign in (a-z, 0-9, -)")
		name := fs.String("name", "", "the agency's or program's name")
		if err := parse(fs, rest); err != nil {
			return err
		}
		if err := required(fs, "slug", "name"); err != nil {
			return err
		}
		a, err := openApp(ctx, c)
		if err != nil {
			return err
		}
		defer a.Close()
		t, err := a.Auth.CreateTenant(ctx, cliActor, *slug, *name, false)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created tenant %s (%s)\n", t.Slug, t.ID)
		return nil
	case "list":
		if err := parse(fs, rest); err != nil {
			return err
		}
		a, err := openApp(ctx, c)
		if err != nil {
			return err
		}
		defer a.Close()
		ts, err := a.Auth.Tenants(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SLUG\tNAME\tDEMO\tID")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", t.Slug, t.Name, t.Demo, t.ID)
		}
		return tw.Flush()
	}
	fmt.Fprintf(e.stderr, "inoculate tenant: unknown subcommand %q (create, list)\n", sub)
	return errUsage
}
