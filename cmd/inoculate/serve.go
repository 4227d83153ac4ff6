package main

import (
	"context"

	"inoculate/internal/app"
)

func serveCmd(ctx context.Context, e env) error {
	fs := newFlags("serve", e)
	var c common
	c.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	demo := fs.Bool("demo", false, "also load a demo tenant with fictional people and one user per role (loopback only)")
	if err := parse(fs, e.args); err != nil {
		return err
	}
	if *demo && !app.IsLoopback(*addr) {
		return app.ErrNotLoopback
	}
	a, err := openApp(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx, app.ServeOptions{Addr: *addr, Demo: *demo, Out: e.stdout})
}
