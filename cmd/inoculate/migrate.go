package main

import (
	"context"
	"fmt"
)

func migrateCmd(ctx context.Context, e env) error {
	fs := newFlags("migrate", e)
	var c common
	c.register(fs)
	if err := parse(fs, e.args); err != nil {
		return err
	}
	a, err := openApp(ctx, c) // opening migrates
	if err != nil {
		return err
	}
	defer a.Close()
	cur, _, err := a.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s database at %s is at schema version %d\n", a.DB.Dialect(), a.DB.Where(), cur)
	return nil
}
