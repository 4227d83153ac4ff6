package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"inoculate/internal/platform/authz"
)

func userCmd(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		fmt.Fprintln(e.stderr, "usage: inoculate user create|list|disable|reset-totp --tenant S [--name U] [--role ROLE]")
		return errUsage
	}
	sub, rest := e.args[0], e.args[1:]
	fs := newFlags("user "+sub, e)
	var c common
	c.register(fs)
	tenant := fs.String("tenant", "", "tenant slug")
	var name, role *string
	switch sub {
	case "create":
		name = fs.String("name", "", "user name (a-z, 0-9, . _ -)")
		role = fs.String("role", "", "role: "+roleList())
	case "disable", "reset-totp":
		name = fs.String("name", "", "user name")
	case "list":
	default:
		fmt.Fprintf(e.stderr, "inoculate user: unknown subcommand %q (create, list, disable, reset-totp)\n", sub)
		return errUsage
	}
	if err := parse(fs, rest); err != nil {
		return err
	}
	if err := required(fs, "tenant", "name", "role"); err != nil {
		return err
	}
	var r authz.Role
	if role != nil {
		var ok bool
		if r, ok = authz.ParseRole(*role); !ok {
			fmt.Fprintf(e.stderr, "unknown role %q: use one of %s\n", *role, roleList())
			return errUsage
		}
	}
	var password string
	if sub == "create" {
		// The password comes on standard input so it never shows in process lists
		// or shell history.
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("read the password from standard input: got nothing (pipe it in: echo \"$PASSWORD\" | inoculate user create …)")
		}
		password = strings.TrimRight(line, "\r\n")
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
	case "create":
		u, err := a.Auth.CreateUser(ctx, cliActor, t.ID, *name, r, password, false)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created user %s (%s) with role %s; they enrol TOTP at first sign-in\n", u.Name, u.ID, u.Role)
	case "list":
		us, err := a.Auth.Users(ctx, t.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tTOTP\tID")
		for _, u := range us {
			status, totp := "active", "pending"
			if u.Disabled {
				status = "disabled"
			}
			if u.TOTPEnrolled {
				totp = "enrolled"
			} else if u.Demo {
				totp = "demo"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, status, totp, u.ID)
		}
		return tw.Flush()
	case "disable", "reset-totp":
		u, err := a.Auth.UserByName(ctx, t.ID, *name)
		if err != nil {
			return fmt.Errorf("user %q: %w", *name, err)
		}
		if sub == "disable" {
			err = a.Auth.Disable(ctx, cliActor, t.ID, u.ID)
		} else {
			err = a.Auth.ResetTOTP(ctx, cliActor, t.ID, u.ID)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: done for %s; their sessions were ended\n", sub, u.Name)
	}
	return nil
}

func roleList() string {
	s := make([]string, len(authz.Roles))
	for i, r := range authz.Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
