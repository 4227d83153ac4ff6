package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"inoculate/internal/demo"
	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/errs"
)

// ServeOptions are the serve command's settings.
type ServeOptions struct {
	Addr string
	Demo bool
	Out  io.Writer // where the URL, the setup link and demo passwords are printed
	// Ready, if set, receives the base URL once the server listens (tests).
	Ready func(baseURL string)
}

// SetupLinkTTL is how long the first-administrator link works.
const SetupLinkTTL = 30 * time.Minute

// DefaultTenantSlug is the tenant a fresh installation creates for its first admin.
const DefaultTenantSlug = "main"

// IsLoopback reports whether addr (host:port) listens on loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve listens on opts.Addr and serves until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, opts ServeOptions) error {
	if opts.Demo && !IsLoopback(opts.Addr) {
		return ErrNotLoopback
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server running there? choose another with --addr)", opts.Addr, err)
	}
	base := "http://" + ln.Addr().String()
	if err := a.prepare(ctx, opts, base); err != nil {
		ln.Close()
		return err
	}
	a.Site.Demo = opts.Demo
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(opts.Out, "Inoculate is running at %s/\n", base)
	if opts.Ready != nil {
		opts.Ready(base)
	}
	// A crash between a consent change's commit and its delivery must not lose a
	// takedown: deliver the outbox again (the subscribers are idempotent).
	if _, err := a.Events.Redeliver(ctx, 0); err != nil {
		slog.Error("redeliver events at start", "err", err)
	}
	if a.Jobs != nil {
		if err := a.Jobs.Start(ctx); err != nil {
			return fmt.Errorf("start background jobs: %w", err)
		}
		defer a.Jobs.Stop(context.WithoutCancel(ctx))
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go a.checkpointLoop(ctx)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	if _, cerr := a.Audit.SaveCheckpoint(shutdown); cerr != nil {
		slog.Error("save audit checkpoint at shutdown", "err", cerr)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// checkpointLoop keeps the history of signed checkpoints that verification and
// witnesses compare against.
func (a *App) checkpointLoop(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := a.Audit.SaveCheckpoint(ctx); err != nil && ctx.Err() == nil {
				slog.Error("save audit checkpoint", "err", err)
			}
		}
	}
}

// prepare makes a fresh installation usable: a tenant and a one-time link for its
// first administrator, and with --demo the demo tenant and its users.
func (a *App) prepare(ctx context.Context, opts ServeOptions, base string) error {
	if a.Keys.Created() {
		fmt.Fprintf(opts.Out, "Created the key file %s.\n", a.Keys.Path())
	}
	if strings.HasPrefix(a.Keys.Path(), a.Config.DataDir) || !strings.HasPrefix(a.Keys.Path(), "/") {
		slog.Warn("the key file is inside the data directory: production keeps it elsewhere (--keys), so that a copy of the data alone cannot be decrypted", "keys", a.Keys.Path())
	}
	cli := auth.Actor{UserID: "system"}
	tenants, err := a.Auth.Tenants(ctx)
	if err != nil {
		return err
	}
	var real []auth.Tenant
	for _, t := range tenants {
		if !t.Demo {
			real = append(real, t)
		}
	}
	if len(real) == 0 {
		t, err := a.Auth.CreateTenant(ctx, cli, DefaultTenantSlug, "Inoculate", false)
		if err != nil && !errs.Is(err, errs.Conflict) {
			return fmt.Errorf("create the first tenant: %w", err)
		}
		real = append(real, t)
	}
	// A fresh installation (no users outside the demo) gets a one-time link for its
	// first administrator; later ones are made by that admin or by "inoculate user create".
	anyUsers := false
	for _, t := range real {
		us, err := a.Auth.Users(ctx, t.ID)
		if err != nil {
			return err
		}
		anyUsers = anyUsers || len(us) > 0
	}
	if !anyUsers {
		raw, err := a.Auth.CreateSetupLink(ctx, real[0].ID, SetupLinkTTL)
		if err != nil {
			return fmt.Errorf("create setup link: %w", err)
		}
		fmt.Fprintf(opts.Out, "No administrator yet. Create the first one within 30 minutes at:\n  %s/setup/%s\n", base, raw)
	}
	if opts.Demo {
		creds, err := demo.Load(ctx, a.Auth, a.Returnees, demo.Parts{Legal: a.Legal, Consent: a.Consent, Assess: a.Assess, Family: a.Family, Communities: a.Communities,
			Engagements: a.Engagements, Reach: a.ReachModel, Testimonies: a.Testimonies})
		if err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
		fmt.Fprintf(opts.Out, "Demo tenant %q loaded (fictional people). Sign in at %s/login?org=%s with:\n", creds.TenantSlug, base, creds.TenantSlug)
		for _, c := range creds.Users {
			fmt.Fprintf(opts.Out, "  %-24s %-18s password: %s\n", c.Name, c.Role, c.Password)
		}
	}
	return nil
}
