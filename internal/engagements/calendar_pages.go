package engagements

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

// calDay is one day of the calendar with the engagements starting on it (by their own
// local date).
type calDay struct {
	Date    time.Time
	InMonth bool
	Today   bool
	Items   []listRow
}

// Month builds the weeks (Monday first) of the month holding anchor, with rows placed
// on their local start date. Pure, for tests.
func Month(anchor time.Time, rows []listRow, today time.Time) [][]calDay {
	first := time.Date(anchor.Year(), anchor.Month(), 1, 0, 0, 0, 0, time.UTC)
	start := first.AddDate(0, 0, -((int(first.Weekday()) + 6) % 7))
	next := first.AddDate(0, 1, 0)
	var weeks [][]calDay
	for ws := start; ws.Before(next); ws = ws.AddDate(0, 0, 7) {
		week := make([]calDay, 7)
		for i := range week {
			d := ws.AddDate(0, 0, i)
			week[i] = day(d, rows, today, d.Month() == anchor.Month())
		}
		weeks = append(weeks, week)
	}
	return weeks
}

// Week builds the seven days (Monday first) of the week holding anchor.
func Week(anchor time.Time, rows []listRow, today time.Time) []calDay {
	a := time.Date(anchor.Year(), anchor.Month(), anchor.Day(), 0, 0, 0, 0, time.UTC)
	start := a.AddDate(0, 0, -((int(a.Weekday()) + 6) % 7))
	out := make([]calDay, 7)
	for i := range out {
		out[i] = day(start.AddDate(0, 0, i), rows, today, true)
	}
	return out
}

func day(d time.Time, rows []listRow, today time.Time, inMonth bool) calDay {
	c := calDay{Date: d, InMonth: inMonth, Today: sameDate(d, today)}
	for _, r := range rows {
		if sameDate(r.Local(), d) {
			c.Items = append(c.Items, r)
		}
	}
	return c
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func (h *handlers) calendar(w http.ResponseWriter, r *http.Request) error {
	return h.renderCalendar(w, r, http.StatusOK, "", nil)
}

func (h *handlers) renderCalendar(w http.ResponseWriter, r *http.Request, status int, newToken string, formErr error) error {
	p := web.Principal(r)
	now := h.svc.now()
	view := r.URL.Query().Get("view")
	if view != "week" {
		view = "month"
	}
	anchor := now.UTC()
	if s := r.URL.Query().Get("date"); s != "" {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil || t.Year() < 2000 || t.Year() > 2100 {
			return &errs.Error{Kind: errs.Invalid, MsgKey: "engagements.error.date", Msg: "the date must be YYYY-MM-DD"}
		}
		anchor = t
	}
	// Two days either side covers every time zone's local dates.
	from := time.Date(anchor.Year(), anchor.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -9)
	until := from.AddDate(0, 0, 50)
	list, err := h.svc.List(r.Context(), p.TenantID, from, until)
	if err != nil {
		return err
	}
	rows, err := h.rows(r, list)
	if err != nil {
		return err
	}
	feeds, err := h.svc.Feeds(r.Context(), p)
	if err != nil {
		return err
	}
	d := struct {
		View             string
		Anchor           time.Time
		Weeks            [][]calDay
		Days             []calDay
		Prev, Next, This string
		Feeds            []Feed
		NewFeedURL       string
		CanVenue         bool
	}{View: view, Anchor: anchor, Feeds: feeds, CanVenue: check(PermVenue, p) == nil}
	if view == "week" {
		d.Days = Week(anchor, rows, now)
		d.Prev = "?view=week&date=" + anchor.AddDate(0, 0, -7).Format(time.DateOnly)
		d.Next = "?view=week&date=" + anchor.AddDate(0, 0, 7).Format(time.DateOnly)
	} else {
		d.Weeks = Month(anchor, rows, now)
		first := time.Date(anchor.Year(), anchor.Month(), 1, 0, 0, 0, 0, time.UTC)
		d.Prev = "?view=month&date=" + first.AddDate(0, -1, 0).Format(time.DateOnly)
		d.Next = "?view=month&date=" + first.AddDate(0, 1, 0).Format(time.DateOnly)
	}
	d.This = "?view=" + view + "&date=" + anchor.Format(time.DateOnly)
	if newToken != "" {
		d.NewFeedURL = web.Origin(r) + "/calendar/feed/" + newToken
	}
	page := h.site.NewPage(r, "", d)
	if formErr != nil {
		_, msg := h.site.FieldMessage(r, formErr)
		page.Errors = map[string]string{"": msg}
	}
	return h.site.Render(w, r, status, "engagements/calendar.html", page)
}

func (h *handlers) createFeed(w http.ResponseWriter, r *http.Request) error {
	_, tok, err := h.svc.CreateFeed(r.Context(), web.Principal(r), web.RequestID(r.Context()))
	if errs.KindOf(err) == errs.Conflict {
		return h.renderCalendar(w, r, http.StatusConflict, "", err)
	}
	if err != nil {
		return err
	}
	// The token is shown once, on this response: never in a redirect's address.
	return h.renderCalendar(w, r, http.StatusOK, tok, nil)
}

func (h *handlers) revokeFeed(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.RevokeFeed(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("fid")); err != nil {
		return err
	}
	http.Redirect(w, r, "/calendar?flash=flash.feed_revoked", http.StatusSeeOther)
	return nil
}

// feed serves a calendar feed: public, the token is the credential; English labels
// (calendar clients show what they are given).
func (h *handlers) feed(w http.ResponseWriter, r *http.Request) error {
	var buf bytes.Buffer
	l := h.site.I18n.For("en")
	label := func(key string) string { return l.T(key) }
	if err := h.svc.WriteFeed(r.Context(), &buf, r.PathValue("token"), h.hooks.Users, label); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err := w.Write(buf.Bytes())
	return err
}
