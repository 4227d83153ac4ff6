// Package app wires Inoculate together: it opens the key file and the database,
// migrates, builds the platform services and registers every capability's routes.
// cmd/inoculate and the tests boot the very same wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"inoculate/internal/accounts"
	"inoculate/internal/auditlog"
	"inoculate/internal/communities"
	"inoculate/internal/dashboard"
	"inoculate/internal/engagements"
	"inoculate/internal/engagements/assign"
	"inoculate/internal/engagements/survey"
	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/blobs"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/events"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/jobs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/upload"
	"inoculate/internal/platform/vault"
	"inoculate/internal/platform/web"
	"inoculate/internal/platform/web/static"
	"inoculate/internal/reach"
	"inoculate/internal/reach/model"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/assessment"
	"inoculate/internal/returnees/caseref"
	"inoculate/internal/returnees/consent"
	"inoculate/internal/returnees/family"
	"inoculate/internal/returnees/legal"
	"inoculate/internal/testimonies"
	"inoculate/internal/testimonies/media"
	"inoculate/internal/testimonies/redact"
)

// Config says where the data lives.
type Config struct {
	DataDir  string // created 0700
	DB       string // "" for SQLite in DataDir, or postgres://…
	KeysPath string // "" for DataDir/keys.json
	// Argon overrides the password hashing cost; zero means the production default.
	Argon auth.ArgonParams
	Now   func() time.Time
}

// App is an opened Inoculate: services and the HTTP handler.
type App struct {
	Config      Config
	DB          *store.DB
	Keys        *vault.KeyFile
	Vault       *vault.Vault
	Audit       *audit.Log
	Auth        *auth.Service
	Returnees   *returnees.Service
	Legal       *legal.Service
	Consent     *consent.Service
	Assess      *assessment.Service
	Family      *family.Service
	Communities *communities.Service
	Engagements *engagements.Service
	Survey      *survey.Service
	ReachModel  *model.Service
	Testimonies *testimonies.Service
	Reach       *reach.Service
	Events      *events.Bus
	Site        *web.Site

	names sync.Map // tenant/user id → user name, for lists and the audit log

	Jobs    *jobs.StoreQueue // background work (renditions); started by Serve
	media   *blobs.Local     // original recordings, sealed per speaker
	uploads *upload.Uploads  // recordings arriving in chunks
}

// KeysFile returns the key file path the config selects.
func (c Config) KeysFile() string {
	if c.KeysPath != "" {
		return c.KeysPath
	}
	return filepath.Join(c.DataDir, "keys.json")
}

// Open opens and migrates everything. Errors say what to do.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	// The data directory holds the database (and by default the key file): nobody but
	// this user may list or read it, even if it existed before with looser rights.
	if fi, err := os.Stat(cfg.DataDir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("restrict data directory %s to its owner: %w", cfg.DataDir, err)
		}
		slog.Warn("restricted the data directory to its owner (0700)", "dir", cfg.DataDir, "was", fi.Mode().Perm().String())
	}
	keys, err := vault.OpenKeyFile(cfg.KeysFile())
	if err != nil {
		return nil, fmt.Errorf("open key file: %w", err)
	}
	db, err := store.Open(ctx, store.Config{URL: cfg.DB, DataDir: cfg.DataDir})
	if err != nil {
		return nil, fmt.Errorf("%w\n  check --db (or start PostgreSQL), and that %s is writable", err, cfg.DataDir)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w\n  the database was left as it was; fix the cause (disk space, permissions, a newer schema?) and start again", err)
	}
	a, err := build(ctx, cfg, db, keys)
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func build(ctx context.Context, cfg Config, db *store.DB, keys *vault.KeyFile) (*App, error) {
	v := vault.New(keys, keys)
	// A restored older backup may hold data keys of people erased since: destroy
	// them before anything can read them (backup resurrection, SECURITY.md P31).
	if n, err := v.ApplyTombstones(ctx, db); err != nil {
		return nil, fmt.Errorf("apply erasure tombstones: %w", err)
	} else if n > 0 {
		slog.Warn("destroyed data keys of erased people found in the database", "count", n)
	}
	signer, err := keys.AuditSigner()
	if err != nil {
		return nil, fmt.Errorf("audit signer: %w", err)
	}
	log := audit.New(db, signer)
	authCfg := auth.Config{Argon: cfg.Argon, Now: cfg.Now, EnsureTenantKey: keys.EnsureTenant}
	authSvc := auth.New(db, v, log, keys.Secret("login-throttle"), authCfg)
	a := &App{Config: cfg, DB: db, Keys: keys, Vault: v, Audit: log, Auth: authSvc,
		Returnees: returnees.NewService(db, v, log), Events: events.NewBus(db)}
	// The parts of a case, each over the returnees service's Cases (tenancy and
	// caseload checked in one place).
	a.Legal = legal.NewService(db, v, log, nil)
	a.Legal.SetUserNames(a.UserName)
	a.Consent = consent.NewService(db, v, log, a.Events, a.Returnees)
	a.Consent.AgreementOfficers = a.Legal.AgreementOfficers // who holds the legal fate never takes consent
	a.Consent.UserName = a.UserName
	a.Assess = assessment.NewService(db, v, log)
	a.Assess.UserName = a.UserName
	a.Family = family.NewService(db, v, log, authSvc)
	a.Communities = communities.NewService(db, v, log)
	a.Engagements = engagements.NewService(db, v, log, engagements.Deps{Communities: a.Communities, Returnees: a.Returnees,
		Assess: a.Assess, Consent: a.Consent, Family: a.Family})
	a.Legal.SetObligationCounter(a.countObligation)
	a.Survey = survey.NewService(db, log)
	a.ReachModel = model.NewService(db, log)
	a.Testimonies = testimonies.NewService(db, v, log, a.Returnees, a.redactionTerms)
	if err := a.openMedia(cfg, db, v, keys); err != nil {
		return nil, err
	}
	a.Reach = reach.NewService(reach.Deps{Model: a.ReachModel, Engagements: a.Engagements, Returnees: a.Returnees,
		Assess: a.Assess, Consent: a.Consent})
	// Erasure empties the parts' sealed columns in its own transaction, then shreds.
	a.Returnees.OnErase(a.Family.EraseCase)
	a.Returnees.OnErase(a.Assess.EraseSealed)

	bundle, err := i18n.Load(
		i18n.Fragment{Name: "legal", FS: legal.Messages},
		i18n.Fragment{Name: "consent", FS: consent.Messages},
		i18n.Fragment{Name: "assessment", FS: assessment.Messages},
		i18n.Fragment{Name: "family", FS: family.Messages},
		i18n.Fragment{Name: "communities", FS: communities.Messages},
		i18n.Fragment{Name: "engagements", FS: engagements.Messages},
		i18n.Fragment{Name: "assign", FS: assign.Messages},
		i18n.Fragment{Name: "survey", FS: survey.Messages},
		i18n.Fragment{Name: "reach-model", FS: model.Messages},
		i18n.Fragment{Name: "reach", FS: reach.Messages},
		i18n.Fragment{Name: "testimonies", FS: testimonies.Messages},
	)
	if err != nil {
		return nil, fmt.Errorf("load translations: %w", err)
	}
	assets, err := static.New()
	if err != nil {
		return nil, fmt.Errorf("load static assets: %w", err)
	}
	tpl, err := web.NewTemplates(assets)
	if err != nil {
		return nil, err
	}
	site := web.NewSite(tpl, bundle, assets, authSvc, log)
	site.Now = cfg.Now
	a.Site = site
	if err := a.register(); err != nil {
		return nil, fmt.Errorf("register routes: %w", err)
	}
	return a, nil
}

func (a *App) register() error {
	site := a.Site
	if err := dashboard.Register(site, a.DB, a.Auth, a.Returnees, a.Assess, a.Audit); err != nil {
		return err
	}
	if err := returnees.Register(site, a.Returnees, returnees.Deps{UserName: a.UserName, Staff: a.staff, Glance: a.glance}); err != nil {
		return err
	}
	if err := legal.Register(site, a.Legal, a.Returnees); err != nil {
		return err
	}
	if err := consent.Register(site, a.Consent, a.Returnees); err != nil {
		return err
	}
	if err := assessment.Register(site, a.Assess, a.Returnees); err != nil {
		return err
	}
	if err := family.Register(site, a.Family, a.Returnees); err != nil {
		return err
	}
	if err := communities.Register(site, a.Communities); err != nil {
		return err
	}
	if err := engagements.Register(site, a.Engagements, engagements.Hooks{CheckInDue: a.Assess.CheckInDueAfterEngagement,
		Users: a.feedOwner, Survey: a.surveyPanel}); err != nil {
		return err
	}
	if err := survey.Register(site, a.Survey, survey.Deps{Engagements: surveyForums{a.Engagements},
		PermPrint: permSurveyPrint, PermResults: permSurveyResults, PermEngagement: engagements.PermRead, BaseURL: web.Origin}); err != nil {
		return err
	}
	if err := reach.Register(site, a.Reach); err != nil {
		return err
	}
	if err := testimonies.Register(site, a.Testimonies, a.uploads); err != nil {
		return err
	}
	site.SetCaseTabPerm(caseref.TabOverview, returnees.PermList)
	site.SetCaseTabPerm(caseref.TabLegal, legal.PermRead)
	site.SetCaseTabPerm(caseref.TabConsent, consent.PermRead)
	site.SetCaseTabPerm(caseref.TabAssessment, assessment.PermCleared)
	site.SetCaseTabPerm(caseref.TabSafety, assessment.PermSafetyRead)
	site.SetCaseTabPerm(caseref.TabFamily, family.PermRead)
	if err := accounts.Register(site, a.Auth); err != nil {
		return err
	}
	if err := auditlog.Register(site, a.DB, a.Audit, a.UserName); err != nil {
		return err
	}
	site.API().Handle("GET /api/v1/health", authz.Public("health"), a.health)
	return nil
}

// UserName returns the user name of a user id of the tenant, for display; ids that
// are not users (such as "cli" or "system") are shown as they are.
func (a *App) UserName(tenantID, userID string) string {
	if userID == "" {
		return "—"
	}
	key := tenantID + "/" + userID
	if n, ok := a.names.Load(key); ok {
		return n.(string)
	}
	u, err := a.Auth.User(context.Background(), tenantID, userID)
	if err != nil {
		return userID
	}
	a.names.Store(key, u.Name)
	return u.Name
}

// staff lists the tenant's active users with one of the roles, for pickers.
func (a *App) staff(ctx context.Context, tenantID string, roles ...authz.Role) ([]returnees.StaffMember, error) {
	us, err := a.Auth.Users(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var out []returnees.StaffMember
	for _, u := range us {
		if !u.Disabled && slices.Contains(roles, u.Role) {
			out = append(out, returnees.StaffMember{ID: u.ID, Name: u.Name, Role: u.Role})
		}
	}
	return out, nil
}

// countObligation counts an agreement's obligation from the engagements held.
func (a *App) countObligation(ctx context.Context, tenantID, returneeID, kind string, from, until time.Time) (int, error) {
	n, err := a.Engagements.CountHeld(ctx, tenantID, returneeID, kind, from, until)
	if errors.Is(err, engagements.ErrNotCounted) {
		return 0, legal.ErrNotCounted
	}
	return n, err
}

// redactionTerms are the words of a case that must never be released, for the
// testimonies' flags: the legal name and address, the home town, relatives' names
// and places (each an audited read by the system, never shown to a person).
func (a *App) redactionTerms(ctx context.Context, tenantID, returneeID, requestID string) ([]redact.Term, error) {
	name, address, home, err := a.Returnees.RedactionTerms(ctx, tenantID, returneeID, requestID)
	if err != nil {
		return nil, err
	}
	names, places, err := a.Family.RelativeNamesForRedaction(ctx, tenantID, returneeID, requestID)
	if err != nil {
		return nil, err
	}
	var out []redact.Term
	add := func(kind, text string) {
		if strings.TrimSpace(text) != "" {
			out = append(out, redact.Term{Kind: kind, Text: text})
		}
	}
	add("name", name)
	add("address", address)
	add(redact.KindPlace, home)
	for _, n := range names {
		add("name", n)
	}
	for _, p := range places {
		add(redact.KindPlace, p)
	}
	return out, nil
}

// feedOwner answers who a calendar feed's owner is now.
func (a *App) feedOwner(ctx context.Context, tenantID, userID string) (authz.Role, bool, error) {
	u, err := a.Auth.User(ctx, tenantID, userID)
	if err != nil {
		return "", false, err
	}
	return u.Role, !u.Disabled, nil
}

func (a *App) health(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	status, code := "ok", http.StatusOK
	if err := a.DB.Ping(ctx); err != nil {
		slog.Error("health: database", "err", err)
		status, code = "unavailable", http.StatusServiceUnavailable
	}
	web.WriteJSON(w, code, map[string]string{"status": status, "database": string(a.DB.Dialect())})
	return nil
}

// Handler is the whole web site and API.
func (a *App) Handler() http.Handler { return a.Site.Handler() }

// Close closes the database.
func (a *App) Close() error {
	if a.uploads != nil {
		a.uploads.Close()
	}
	if a.media != nil {
		a.media.Close()
	}
	return a.DB.Close()
}

// openMedia opens the recordings' blob store and the upload staging area under the
// data directory: recordings are sealed with a key derived from the speaker's data
// key, staged chunks with a key derived from the key file's secret. Without a data
// directory (some tests) there are no recordings.
func (a *App) openMedia(cfg Config, db *store.DB, v *vault.Vault, keys *vault.KeyFile) error {
	if cfg.DataDir == "" {
		return nil
	}
	var err error
	if a.media, err = blobs.NewLocal(filepath.Join(cfg.DataDir, "media")); err != nil {
		return fmt.Errorf("open the media store: %w", err)
	}
	sealed := blobs.NewSealed(a.media, func(ctx context.Context, subject string) ([]byte, error) {
		tenantID, returneeID, ok := testimonies.SubjectKey(subject)
		if !ok {
			return nil, errors.New("media: malformed subject")
		}
		return v.BlobKey(ctx, db, tenantID, returneeID, "recording")
	})
	a.Testimonies.SetRecordings(testimonies.Recordings{Store: sealed, Sniff: media.Sniff})
	work := filepath.Join(cfg.DataDir, "work")
	if err := os.MkdirAll(work, 0o700); err != nil {
		return fmt.Errorf("create the work directory: %w", err)
	}
	a.Jobs = jobs.New(db, jobs.Config{})
	a.Testimonies.SetRenditions(testimonies.Renditions{Queue: a.Jobs, WorkDir: work, Consent: a.Consent, Assess: a.Assess})
	a.Testimonies.SetChannels(func(ctx context.Context, tenantID string) ([]testimonies.Channel, error) {
		list, err := a.Engagements.Channels(ctx, tenantID)
		out := make([]testimonies.Channel, len(list))
		for i, c := range list {
			out[i] = testimonies.Channel{ID: c.ID, Name: c.Name}
		}
		return out, err
	})
	// A withdrawn or narrowed consent revokes the releases it no longer covers and
	// raises takedown tasks for their publications, at once.
	a.Events.Subscribe(consent.EventWithdrawn, a.Testimonies.OnConsentChange)
	a.Events.Subscribe(consent.EventChanged, a.Testimonies.OnConsentChange)
	a.uploads, err = upload.New(upload.Config{Dir: filepath.Join(cfg.DataDir, "uploads"), Secret: keys.Secret("upload-staging"),
		Complete: a.Testimonies.Complete,
		Owner: func(r *http.Request) (string, error) {
			p := web.Principal(r)
			if p == nil {
				return "", errs.E(errs.Unauthorized, "sign in first")
			}
			return testimonies.UploadOwner(p, r.PathValue("id")), nil
		}})
	if err != nil {
		return fmt.Errorf("open the upload staging area: %w", err)
	}
	return nil
}

// ErrNotLoopback is returned when demo mode is asked for on a public address.
var ErrNotLoopback = errors.New("--demo serves fictional data with printed passwords: it only listens on a loopback address (127.0.0.1, ::1 or localhost)")

// New builds an App over a database that is already open and migrated, with the
// given key file: the tests' way in, so they can use both stores.
func New(ctx context.Context, cfg Config, db *store.DB, keys *vault.KeyFile) (*App, error) {
	return build(ctx, cfg, db, keys)
}
