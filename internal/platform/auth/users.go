package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Tenant is an organisation sharing the deployment; no query crosses tenants.
type Tenant struct {
	ID, Slug, Name string
	Demo           bool
	CreatedAt      time.Time
}

// User is a staff account. It never carries credentials.
type User struct {
	ID, TenantID, Name           string
	Role                         authz.Role
	Disabled, Demo, TOTPEnrolled bool
	CreatedAt                    time.Time
}

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("auth: new id: %w", err)
	}
	return id.String(), nil
}

const tenantCols = "id, slug, name, demo, created_at"

type scanner interface{ Scan(dest ...any) error }

func scanTenant(r scanner) (Tenant, error) {
	var t Tenant
	var created int64
	if err := r.Scan(&t.ID, &t.Slug, &t.Name, &t.Demo, &created); err != nil {
		return Tenant{}, err
	}
	t.CreatedAt = store.FromMillis(created)
	return t, nil
}

// CreateTenant adds a tenant and has the vault create its key before committing.
func (s *Service) CreateTenant(ctx context.Context, a Actor, slug, name string, demo bool) (Tenant, error) {
	slug = normName(slug)
	name = strings.TrimSpace(name)
	if err := validateSlug(slug); err != nil {
		return Tenant{}, err
	}
	if err := validateTenantName(name); err != nil {
		return Tenant{}, err
	}
	id, err := newID()
	if err != nil {
		return Tenant{}, err
	}
	t := Tenant{ID: id, Slug: slug, Name: name, Demo: demo, CreatedAt: store.FromMillis(store.Millis(s.now()))}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO tenants ("+tenantCols+") VALUES (?, ?, ?, ?, ?)", t.ID, t.Slug, t.Name, t.Demo, store.Millis(t.CreatedAt))
		if store.IsUniqueViolation(err) {
			return &errs.Error{Kind: errs.Conflict, Field: "slug", MsgKey: "error.tenant_slug_taken", Msg: "This short name is already taken."}
		}
		if err != nil {
			return fmt.Errorf("auth: insert tenant: %w", err)
		}
		if s.cfg.EnsureTenantKey != nil {
			if err := s.cfg.EnsureTenantKey(ctx, t.ID); err != nil {
				return fmt.Errorf("auth: tenant key: %w", err)
			}
		}
		return s.appendAudit(ctx, tx, actorEntry(a, t.ID, "tenant.create", t.ID))
	})
	if err != nil {
		return Tenant{}, errs.Wrap(err, "create tenant")
	}
	return t, nil
}

// TenantBySlug finds a tenant by its short name.
func (s *Service) TenantBySlug(ctx context.Context, slug string) (Tenant, error) {
	t, err := scanTenant(s.db.Reader().QueryRow(ctx, "SELECT "+tenantCols+" FROM tenants WHERE slug = ?", normName(slug)))
	return t, notFoundOr(err, "tenant by slug")
}

// TenantByID finds a tenant by id.
func (s *Service) TenantByID(ctx context.Context, id string) (Tenant, error) {
	t, err := scanTenant(s.db.Reader().QueryRow(ctx, "SELECT "+tenantCols+" FROM tenants WHERE id = ?", id))
	return t, notFoundOr(err, "tenant by id")
}

// Tenants lists all tenants by slug.
func (s *Service) Tenants(ctx context.Context) ([]Tenant, error) {
	rows, err := s.db.Reader().Query(ctx, "SELECT "+tenantCols+" FROM tenants ORDER BY slug")
	if err != nil {
		return nil, errs.Wrap(err, "list tenants")
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, errs.Wrap(err, "scan tenant")
		}
		out = append(out, t)
	}
	return out, errs.Wrap(rows.Err(), "list tenants")
}

func notFoundOr(err error, what string) error {
	if isNoRows(err) {
		return errNotFound()
	}
	return errs.Wrap(err, what)
}

const userCols = "id, tenant_id, name, role, disabled, demo, totp_enrolled, created_at"

func scanUser(r scanner) (User, error) {
	var u User
	var role string
	var created int64
	if err := r.Scan(&u.ID, &u.TenantID, &u.Name, &role, &u.Disabled, &u.Demo, &u.TOTPEnrolled, &created); err != nil {
		return User{}, err
	}
	u.Role = authz.Role(role)
	u.CreatedAt = store.FromMillis(created)
	return u, nil
}

func validateRole(role authz.Role) error {
	if _, ok := authz.ParseRole(string(role)); !ok {
		return errs.InvalidField("role", "error.role_invalid", "Choose one of the roles.")
	}
	return nil
}

// CreateUser adds a user to a tenant. Demo users (no second factor) are allowed only in
// demo tenants, so a real tenant can never hold an account without TOTP.
func (s *Service) CreateUser(ctx context.Context, a Actor, tenantID, name string, role authz.Role, password string, demo bool) (User, error) {
	if err := checkActorTenant(a, tenantID); err != nil {
		return User{}, err
	}
	name = normName(name)
	if err := validateUserName(name); err != nil {
		return User{}, err
	}
	if err := validateRole(role); err != nil {
		return User{}, err
	}
	if err := validatePassword(name, password); err != nil {
		return User{}, err
	}
	// Hash before the transaction: argon2 takes a while and must not hold the writer.
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return User{}, errs.Wrap(err, "hash password")
	}
	var u User
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		u, err = s.insertUser(ctx, tx, tenantID, name, role, hash, demo)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actorEntry(a, tenantID, "user.create", u.ID))
	})
	if err != nil {
		return User{}, errs.Wrap(err, "create user")
	}
	return u, nil
}

func (s *Service) insertUser(ctx context.Context, tx *store.Tx, tenantID, name string, role authz.Role, hash string, demo bool) (User, error) {
	var demoTenant bool
	err := tx.QueryRow(ctx, "SELECT demo FROM tenants WHERE id = ?", tenantID).Scan(&demoTenant)
	if err != nil {
		return User{}, notFoundOr(err, "tenant of new user")
	}
	if demo && !demoTenant {
		return User{}, errs.InvalidField("demo", "error.demo_user_needs_demo_tenant", "Demo users can only be created in a demo organisation.")
	}
	id, err := newID()
	if err != nil {
		return User{}, err
	}
	u := User{ID: id, TenantID: tenantID, Name: name, Role: role, Demo: demo, CreatedAt: store.FromMillis(store.Millis(s.now()))}
	_, err = tx.Exec(ctx, "INSERT INTO users (id, tenant_id, name, role, password_hash, disabled, demo, totp_enrolled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		u.ID, u.TenantID, u.Name, string(u.Role), hash, false, demo, false, store.Millis(u.CreatedAt))
	if store.IsUniqueViolation(err) {
		return User{}, &errs.Error{Kind: errs.Conflict, Field: "name", MsgKey: "error.user_name_taken", Msg: "This user name is already taken."}
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: insert user: %w", err)
	}
	return u, nil
}

// Users lists a tenant's users by name.
func (s *Service) Users(ctx context.Context, tenantID string) ([]User, error) {
	rows, err := s.db.Reader().Query(ctx, "SELECT "+userCols+" FROM users WHERE tenant_id = ? ORDER BY name", tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "list users")
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, errs.Wrap(err, "scan user")
		}
		out = append(out, u)
	}
	return out, errs.Wrap(rows.Err(), "list users")
}

// User returns one user of the tenant; users of other tenants are NotFound.
func (s *Service) User(ctx context.Context, tenantID, userID string) (User, error) {
	u, err := scanUser(s.db.Reader().QueryRow(ctx, "SELECT "+userCols+" FROM users WHERE tenant_id = ? AND id = ?", tenantID, userID))
	return u, notFoundOr(err, "user")
}

// UserByName returns the tenant's user with that name.
func (s *Service) UserByName(ctx context.Context, tenantID, name string) (User, error) {
	u, err := scanUser(s.db.Reader().QueryRow(ctx, "SELECT "+userCols+" FROM users WHERE tenant_id = ? AND name = ?", tenantID, normName(name)))
	return u, notFoundOr(err, "user by name")
}

// HasUsers reports whether any user exists in the deployment (first-run setup).
func (s *Service) HasUsers(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.Reader().QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) AS any_user").Scan(&n); err != nil {
		return false, errs.Wrap(err, "has users")
	}
	return n > 0, nil
}

// lockUser reads a user of the tenant for update.
func lockUser(ctx context.Context, tx *store.Tx, tenantID, userID string) (User, error) {
	u, err := scanUser(tx.QueryRow(ctx, "SELECT "+userCols+" FROM users WHERE tenant_id = ? AND id = ?"+tx.ForUpdate(), tenantID, userID))
	return u, notFoundOr(err, "lock user")
}

// keepsAnAdmin refuses a change that would leave the tenant without an enabled admin:
// nobody could then manage users short of the server's CLI.
func keepsAnAdmin(ctx context.Context, tx *store.Tx, u User) error {
	if u.Role != authz.Admin || u.Disabled {
		return nil
	}
	// Lock every enabled admin so two concurrent demotions cannot both pass.
	rows, err := tx.Query(ctx, "SELECT id FROM users WHERE tenant_id = ? AND role = ? AND disabled = ?"+tx.ForUpdate(), u.TenantID, string(authz.Admin), false)
	if err != nil {
		return fmt.Errorf("auth: list admins: %w", err)
	}
	defer rows.Close()
	others := 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("auth: scan admin: %w", err)
		}
		if id != u.ID {
			others++
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("auth: list admins: %w", err)
	}
	if others == 0 {
		return &errs.Error{Kind: errs.Conflict, MsgKey: "error.last_admin", Msg: "This is the organisation's last administrator."}
	}
	return nil
}

func endSessions(ctx context.Context, tx *store.Tx, tenantID, userID string) error {
	if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?", tenantID, userID); err != nil {
		return fmt.Errorf("auth: end sessions: %w", err)
	}
	return nil
}

// changeUser runs fn on the locked user in one transaction with its audit entry.
func (s *Service) changeUser(ctx context.Context, a Actor, tenantID, userID, action string, fn func(tx *store.Tx, u User) error) error {
	if err := checkActorTenant(a, tenantID); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		u, err := lockUser(ctx, tx, tenantID, userID)
		if err != nil {
			return err
		}
		if err := fn(tx, u); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actorEntry(a, tenantID, action, userID))
	})
	return errs.Wrap(err, action)
}

// SetRole changes a user's role and ends the user's sessions (P14): the next request
// must sign in again under the new role.
func (s *Service) SetRole(ctx context.Context, a Actor, tenantID, userID string, role authz.Role) error {
	if err := validateRole(role); err != nil {
		return err
	}
	return s.changeUser(ctx, a, tenantID, userID, "user.role", func(tx *store.Tx, u User) error {
		if role != authz.Admin {
			if err := keepsAnAdmin(ctx, tx, u); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET role = ? WHERE tenant_id = ? AND id = ?", string(role), tenantID, userID); err != nil {
			return fmt.Errorf("auth: update role: %w", err)
		}
		return endSessions(ctx, tx, tenantID, userID)
	})
}

// Disable stops a user from signing in, ends the user's sessions; the user's API
// tokens stop working (AuthenticateToken checks the user).
func (s *Service) Disable(ctx context.Context, a Actor, tenantID, userID string) error {
	return s.changeUser(ctx, a, tenantID, userID, "user.disable", func(tx *store.Tx, u User) error {
		if err := keepsAnAdmin(ctx, tx, u); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET disabled = ? WHERE tenant_id = ? AND id = ?", true, tenantID, userID); err != nil {
			return fmt.Errorf("auth: disable user: %w", err)
		}
		return endSessions(ctx, tx, tenantID, userID)
	})
}

// Enable lets a disabled user sign in again.
func (s *Service) Enable(ctx context.Context, a Actor, tenantID, userID string) error {
	return s.changeUser(ctx, a, tenantID, userID, "user.enable", func(tx *store.Tx, u User) error {
		_, err := tx.Exec(ctx, "UPDATE users SET disabled = ? WHERE tenant_id = ? AND id = ?", false, tenantID, userID)
		if err != nil {
			return fmt.Errorf("auth: enable user: %w", err)
		}
		return nil
	})
}

// ResetTOTP clears the user's second factor: the next sign-in must enrol a new one.
// It ends the user's sessions.
func (s *Service) ResetTOTP(ctx context.Context, a Actor, tenantID, userID string) error {
	return s.changeUser(ctx, a, tenantID, userID, "user.totp_reset", func(tx *store.Tx, u User) error {
		// totp_last_step stays: it only ever grows, so no old code can come back.
		if _, err := tx.Exec(ctx, "UPDATE users SET totp_secret = NULL, totp_enrolled = ? WHERE tenant_id = ? AND id = ?", false, tenantID, userID); err != nil {
			return fmt.Errorf("auth: reset TOTP: %w", err)
		}
		return endSessions(ctx, tx, tenantID, userID)
	})
}

// SetPassword replaces the user's password and ends all the user's sessions, so a
// stolen session does not outlive the change (the caller signs the user in again).
func (s *Service) SetPassword(ctx context.Context, a Actor, tenantID, userID, password string) error {
	if err := checkActorTenant(a, tenantID); err != nil {
		return err
	}
	u, err := s.User(ctx, tenantID, userID)
	if err != nil {
		return err
	}
	if err := validatePassword(u.Name, password); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return errs.Wrap(err, "hash password")
	}
	return s.changeUser(ctx, a, tenantID, userID, "user.password", func(tx *store.Tx, u User) error {
		if _, err := tx.Exec(ctx, "UPDATE users SET password_hash = ? WHERE tenant_id = ? AND id = ?", hash, tenantID, userID); err != nil {
			return fmt.Errorf("auth: update password: %w", err)
		}
		return endSessions(ctx, tx, tenantID, userID)
	})
}

// EndSessions signs the user out everywhere (an admin's "kill sessions", P14).
func (s *Service) EndSessions(ctx context.Context, a Actor, tenantID, userID string) error {
	return s.changeUser(ctx, a, tenantID, userID, "user.sessions_end", func(tx *store.Tx, u User) error {
		return endSessions(ctx, tx, tenantID, userID)
	})
}
