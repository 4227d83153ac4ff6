package engagements

import (
	"context"
	"strconv"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Settings are the tenant's engagement settings.
type Settings struct {
	// WeeklyLimit is the most engagements a speaker may have in one week.
	WeeklyLimit int `json:"weekly_limit"`
	// HelpLine is shown to everyone who answers a survey: who to talk to.
	HelpLine string `json:"help_line"`
}

const maxWeeklyLimit = 14

func (s *Service) setting(ctx context.Context, tenantID, key string) (string, bool, error) {
	var v string
	err := s.db.Reader().QueryRow(ctx, `SELECT value FROM engagement_settings WHERE tenant_id = ? AND key = ?`, tenantID, key).Scan(&v)
	if isNoRows(err) {
		return "", false, nil
	}
	return v, err == nil, errs.Wrap(err, "engagements: setting "+key)
}

// WeeklyLimit returns the tenant's weekly load limit per speaker.
func (s *Service) WeeklyLimit(ctx context.Context, tenantID string) (int, error) {
	v, ok, err := s.setting(ctx, tenantID, "weekly_limit")
	if err != nil || !ok {
		return defaultLimit, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return defaultLimit, nil
	}
	return n, nil
}

// HelpLine returns the tenant's help line for survey respondents ("" when not set).
func (s *Service) HelpLine(ctx context.Context, tenantID string) (string, error) {
	v, _, err := s.setting(ctx, tenantID, "help_line")
	return v, err
}

// Settings returns the tenant's settings.
func (s *Service) Settings(ctx context.Context, tenantID string) (Settings, error) {
	var st Settings
	var err error
	if st.WeeklyLimit, err = s.WeeklyLimit(ctx, tenantID); err != nil {
		return st, err
	}
	st.HelpLine, err = s.HelpLine(ctx, tenantID)
	return st, err
}

// SaveSettings changes the tenant's settings.
func (s *Service) SaveSettings(ctx context.Context, p *authz.Principal, requestID string, in Settings) error {
	if err := check(PermSettings, p); err != nil {
		return err
	}
	if in.WeeklyLimit < 1 || in.WeeklyLimit > maxWeeklyLimit {
		return invalid("weekly_limit", "engagements.error.weekly_limit", "the weekly limit must be between 1 and 14", maxWeeklyLimit)
	}
	help, err := cleanLong("help_line", in.HelpLine, false, 500)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		at := store.Millis(s.now())
		for key, v := range map[string]string{"weekly_limit": strconv.Itoa(in.WeeklyLimit), "help_line": help} {
			if _, err := tx.Exec(ctx, `INSERT INTO engagement_settings (tenant_id, key, value, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
				p.TenantID, key, v, p.UserID, at); err != nil {
				return errs.Wrap(err, "engagements: save settings")
			}
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "engagement.settings", p.TenantID))
		return err
	})
}
