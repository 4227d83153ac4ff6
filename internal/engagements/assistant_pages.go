package engagements

import (
	"net/http"
	"strconv"
	"strings"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

func (h *handlers) assistant(w http.ResponseWriter, r *http.Request) error {
	return h.renderAssistant(w, r, http.StatusOK, nil)
}

// accepted is the result of accepting proposed pairs, one line per pair.
type accepted struct {
	Engagement, Alias string
	Err               string
}

func (h *handlers) renderAssistant(w http.ResponseWriter, r *http.Request, status int, done []accepted) error {
	prop, err := h.svc.Propose(r.Context(), web.Principal(r))
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	page.Data = struct {
		P    Proposal
		Done []accepted
	}{prop, done}
	return h.site.Render(w, r, status, "engagements/assistant.html", page)
}

// acceptProposal adds the pairs the person kept ticked: each is an AddSpeaker, so
// each is a material change sent back through its chain of command. A pair that no
// longer fits (someone changed the engagement meanwhile) is reported, not forced.
func (h *handlers) acceptProposal(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p, ctx := web.Principal(r), r.Context()
	pairs := r.PostForm["pair"]
	if len(pairs) == 0 || len(pairs) > 200 {
		return &errs.Error{Kind: errs.Invalid, Field: "pair", MsgKey: "engagements.error.no_pairs", Msg: "tick at least one proposed pair"}
	}
	var done []accepted
	for _, pair := range pairs {
		eid, rid, ok := strings.Cut(pair, ":")
		if !ok {
			return &errs.Error{Kind: errs.Invalid, Field: "pair", MsgKey: "engagements.error.no_pairs", Msg: "tick at least one proposed pair"}
		}
		a := accepted{Engagement: eid, Alias: rid}
		if e, err := h.svc.Get(ctx, p.TenantID, eid); err == nil {
			a.Engagement = e.Title
		}
		sc, err := h.svc.AddSpeaker(ctx, p, web.RequestID(ctx), eid, rid)
		if err != nil {
			if k := errs.KindOf(err); k != errs.Invalid && k != errs.Conflict && k != errs.NotFound {
				return err
			}
			_, a.Err = h.site.FieldMessage(r, err)
		} else {
			a.Alias = sc.Speaker.Alias
		}
		done = append(done, a)
	}
	return h.renderAssistant(w, r, http.StatusOK, done)
}

func (h *handlers) settingsPage(w http.ResponseWriter, r *http.Request) error {
	st, err := h.svc.Settings(r.Context(), web.Principal(r).TenantID)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	page.Form = map[string][]string{"weekly_limit": {strconv.Itoa(st.WeeklyLimit)}, "help_line": {st.HelpLine}}
	return h.site.Render(w, r, http.StatusOK, "engagements/settings.html", page)
}

func (h *handlers) saveSettings(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	n, err := formInt(r.PostForm, "weekly_limit", 0)
	if err == nil {
		err = h.svc.SaveSettings(r.Context(), web.Principal(r), web.RequestID(r.Context()), Settings{WeeklyLimit: n, HelpLine: r.PostForm.Get("help_line")})
	}
	if errs.KindOf(err) == errs.Invalid {
		page := h.site.NewPage(r, "", nil)
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, err)
		page.Errors = map[string]string{field: msg}
		return h.site.Render(w, r, http.StatusUnprocessableEntity, "engagements/settings.html", page)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/engagements/settings?flash=flash.engagement_settings", http.StatusSeeOther)
	return nil
}

func (h *handlers) channels(w http.ResponseWriter, r *http.Request) error {
	return h.renderChannels(w, r, http.StatusOK, nil)
}

func (h *handlers) renderChannels(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	tid := web.Principal(r).TenantID
	list, err := h.svc.Channels(r.Context(), tid)
	if err != nil {
		return err
	}
	cs, err := h.svc.deps.Communities.List(r.Context(), tid)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, c := range cs {
		names[c.ID] = c.Name
	}
	page := h.site.NewPage(r, "", nil)
	page.Data = struct {
		List        []Channel
		Names       map[string]string
		Kinds       []ChannelKind
		Communities any
		CanWrite    bool
	}{list, names, ChannelKinds, cs, page.Can(PermChannelsWrite)}
	if formErr != nil {
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, formErr)
		page.Errors = map[string]string{field: msg}
	}
	return h.site.Render(w, r, status, "engagements/channels.html", page)
}

func (h *handlers) createChannel(w http.ResponseWriter, r *http.Request) error {
	return h.saveChannel(w, r, "")
}

func (h *handlers) updateChannel(w http.ResponseWriter, r *http.Request) error {
	return h.saveChannel(w, r, r.PathValue("cid"))
}

func (h *handlers) saveChannel(w http.ResponseWriter, r *http.Request, id string) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	in := ChannelInput{Kind: ChannelKind(f.Get("kind")), Name: f.Get("name"), CommunityID: f.Get("community_id"),
		Languages: strings.Split(f.Get("languages"), ","), Notes: f.Get("notes")}
	var err error
	if id == "" {
		_, err = h.svc.CreateChannel(r.Context(), web.Principal(r), web.RequestID(r.Context()), in)
	} else {
		_, err = h.svc.UpdateChannel(r.Context(), web.Principal(r), web.RequestID(r.Context()), id, in)
	}
	if errs.KindOf(err) == errs.Invalid {
		return h.renderChannels(w, r, http.StatusUnprocessableEntity, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/channels?flash=flash.channel_saved", http.StatusSeeOther)
	return nil
}
