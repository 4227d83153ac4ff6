package reach

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"inoculate/internal/engagements"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
	"inoculate/internal/reach/model"
	"inoculate/internal/returnees/consent"
)

// modelData is what the model page shows.
type modelData struct {
	M          model.Model
	Channels   map[string]string // id → name
	Cells      map[string]string // id → label
	Verdicts   map[string]Verdict
	Aliases    map[string]string
	Speakers   []speakerRef
	Kinds      []model.OptionKind
	Bands      []model.AgeBand
	Levels     []consent.IdentityLevel
	CanWrite   bool
	Import     *model.ImportResult
	ImportKind string
}

type speakerRef struct{ ID, Alias string }

// cellLabel names a cell as people read it: "Harbour Town · ar · 18-24".
func cellLabel(c model.Cell, communities map[string]string) string {
	place := communities[c.CommunityID]
	if place == "" {
		place = "—"
	}
	return place + " · " + c.Language + " · " + string(c.AgeBand)
}

func (h *handlers) modelData(r *http.Request) (*modelData, error) {
	ctx := r.Context()
	tid := web.Principal(r).TenantID
	m, err := h.model.Model(ctx, tid)
	if err != nil {
		return nil, err
	}
	d := &modelData{M: m, Channels: map[string]string{}, Cells: map[string]string{}, Aliases: map[string]string{},
		Kinds: model.OptionKinds, Bands: model.AgeBands, Levels: consent.Levels}
	communities := map[string]string{}
	for _, c := range m.Communities {
		communities[c.ID] = c.Name
	}
	for _, c := range m.Channels {
		d.Channels[c.ID] = c.Name
	}
	for _, c := range m.Cells {
		d.Cells[c.ID] = cellLabel(c, communities)
	}
	people, err := h.svc.deps.Returnees.List(ctx, tid)
	if err != nil {
		return nil, err
	}
	for _, p := range people {
		d.Aliases[p.ID] = p.Alias
		if !p.Erased {
			d.Speakers = append(d.Speakers, speakerRef{p.ID, p.Alias})
		}
	}
	if d.Verdicts, err = h.svc.Rules(ctx, tid, m); err != nil {
		return nil, err
	}
	return d, nil
}

func (h *handlers) modelPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderModel(w, r, http.StatusOK, nil, nil, "")
}

func (h *handlers) renderModel(w http.ResponseWriter, r *http.Request, status int, formErr error, imp *model.ImportResult, kind string) error {
	page := h.site.NewPage(r, "", nil)
	d, err := h.modelData(r)
	if err != nil {
		return err
	}
	d.CanWrite, d.Import, d.ImportKind = page.Can(model.PermWrite), imp, kind
	page.Data = d
	if formErr != nil {
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, formErr)
		page.Errors = map[string]string{field: msg, "": msg}
	}
	return h.site.Render(w, r, status, "reach/model.html", page)
}

// after finishes a model edit: back to the page, or the page with the message.
func (h *handlers) after(w http.ResponseWriter, r *http.Request, err error, anchor string) error {
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.Conflict || k == errs.NotFound) {
		return h.renderModel(w, r, http.StatusUnprocessableEntity, err, nil, "")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/reach?flash=flash.reach_saved#"+anchor, http.StatusSeeOther)
	return nil
}

func number(f url.Values, field string) (float64, error) {
	s := strings.ReplaceAll(strings.TrimSpace(f.Get(field)), " ", "")
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "reach.plan.error.number", Msg: "not a number"}
	}
	if strings.HasSuffix(s, "%") {
		v /= 100
	}
	return v, nil
}

func (h *handlers) form(r *http.Request) (url.Values, error) {
	if err := web.ParseForm(r); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

func (h *handlers) addCell(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	size, err := number(f, "size")
	if err == nil {
		year, _ := strconv.Atoi(strings.TrimSpace(f.Get("year")))
		_, err = h.model.CreateCell(r.Context(), web.Principal(r), web.RequestID(r.Context()), model.CellInput{CommunityID: f.Get("community_id"),
			Language: f.Get("language"), AgeBand: model.AgeBand(f.Get("age_band")), Size: size, Source: f.Get("source"), Year: year})
	}
	return h.after(w, r, err, "cells")
}

func (h *handlers) removeCell(w http.ResponseWriter, r *http.Request) error {
	err := h.model.DeleteCell(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("cid"))
	return h.after(w, r, err, "cells")
}

func (h *handlers) addLink(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	p, err := number(f, "probability")
	if err == nil {
		_, err = h.model.CreateReachLink(r.Context(), web.Principal(r), web.RequestID(r.Context()),
			model.ReachLinkInput{ChannelID: f.Get("channel_id"), CellID: f.Get("cell_id"), Probability: p})
	}
	return h.after(w, r, err, "links")
}

func (h *handlers) removeLink(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	err = h.model.RemoveReachLink(r.Context(), web.Principal(r), web.RequestID(r.Context()), f.Get("channel_id"), f.Get("cell_id"))
	return h.after(w, r, err, "links")
}

func (h *handlers) addPickup(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	p, err := number(f, "probability")
	if err == nil {
		_, err = h.model.CreatePickup(r.Context(), web.Principal(r), web.RequestID(r.Context()),
			model.PickupInput{FromChannelID: f.Get("from_channel_id"), ToChannelID: f.Get("to_channel_id"), Probability: p})
	}
	return h.after(w, r, err, "pickups")
}

func (h *handlers) removePickup(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	err = h.model.RemovePickup(r.Context(), web.Principal(r), web.RequestID(r.Context()), f.Get("from_channel_id"), f.Get("to_channel_id"))
	return h.after(w, r, err, "pickups")
}

func (h *handlers) addOption(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	money, err := number(f, "money")
	var hours float64
	if err == nil {
		hours, err = number(f, "speaker_hours")
	}
	if err == nil {
		_, err = h.model.CreateOption(r.Context(), web.Principal(r), web.RequestID(r.Context()), model.OptionInput{
			Kind: model.OptionKind(f.Get("kind")), Title: f.Get("title"), ChannelID: f.Get("channel_id"), CommunityID: f.Get("community_id"),
			Language: f.Get("language"), IdentityLevel: consent.IdentityLevel(f.Get("identity_level")), SpeakerID: f.Get("speaker_id"),
			Money: money, SpeakerHours: hours, Notes: f.Get("notes")})
	}
	return h.after(w, r, err, "options")
}

func (h *handlers) removeOption(w http.ResponseWriter, r *http.Request) error {
	err := h.model.DeleteOption(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("oid"))
	return h.after(w, r, err, "options")
}

// importer picks the model's import function for a kind named in the path.
func (h *handlers) importer(kind string) (func(ctx context.Context, p *authz.Principal, requestID string, r io.Reader) (model.ImportResult, error), bool) {
	switch kind {
	case "cells":
		return h.model.ImportCells, true
	case "reach":
		return h.model.ImportReach, true
	case "pickups":
		return h.model.ImportPickups, true
	case "options":
		return h.model.ImportOptions, true
	}
	return nil, false
}

// importCSV takes a CSV file from a form: all rows or none; every bad row listed.
func (h *handlers) importCSV(w http.ResponseWriter, r *http.Request) error {
	kind := r.PathValue("kind")
	imp, ok := h.importer(kind)
	if !ok {
		return &errs.Error{Kind: errs.NotFound, MsgKey: "error.not_found", Msg: "not found"}
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &errs.Error{Kind: errs.Invalid, Field: "file", MsgKey: "reach.plan.error.file_size", Msg: "the file is too large"}
		}
		return h.renderModel(w, r, http.StatusUnprocessableEntity,
			&errs.Error{Kind: errs.Invalid, Field: "file", MsgKey: "reach.plan.error.file", Msg: "choose a CSV file"}, nil, kind)
	}
	defer file.Close()
	res, err := imp(r.Context(), web.Principal(r), web.RequestID(r.Context()), file)
	if errs.KindOf(err) == errs.Invalid {
		return h.renderModel(w, r, http.StatusUnprocessableEntity, err, &res, kind)
	}
	if err != nil {
		return err
	}
	return h.renderModel(w, r, http.StatusOK, nil, &res, kind)
}

func (h *handlers) plans(w http.ResponseWriter, r *http.Request) error {
	return h.renderPlans(w, r, http.StatusOK, nil)
}

func (h *handlers) renderPlans(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	ctx := r.Context()
	tid := web.Principal(r).TenantID
	list, err := h.model.Plans(ctx, tid)
	if err != nil {
		return err
	}
	m, err := h.model.Model(ctx, tid)
	if err != nil {
		return err
	}
	communities := map[string]string{}
	for _, c := range m.Communities {
		communities[c.ID] = c.Name
	}
	type cellRef struct {
		ID, Label string
		Size      float64
	}
	var cells []cellRef
	for _, c := range m.Cells {
		cells = append(cells, cellRef{c.ID, cellLabel(c, communities), c.Size})
	}
	sort.Slice(cells, func(i, j int) bool { return cells[i].Label < cells[j].Label })
	page := h.site.NewPage(r, "", nil)
	page.Data = struct {
		Plans    []model.Plan
		Cells    []cellRef
		Options  int
		CanWrite bool
	}{list, cells, len(m.Options), page.Can(model.PermWrite)}
	if formErr != nil {
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, formErr)
		page.Errors = map[string]string{field: msg}
	} else {
		page.Form = url.Values{"epsilon": {"0.1"}, "name": {""}}
	}
	return h.site.Render(w, r, status, "reach/plans.html", page)
}

func (h *handlers) createPlan(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	in := PlanInput{Name: f.Get("name"), TargetCells: f["target"]}
	if in.BudgetMoney, err = number(f, "budget_money"); err == nil {
		if in.BudgetHours, err = number(f, "budget_hours"); err == nil {
			in.Epsilon, err = number(f, "epsilon")
		}
	}
	var pl model.Plan
	if err == nil {
		pl, err = h.svc.Plan(r.Context(), web.Principal(r), web.RequestID(r.Context()), in)
	}
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.NotFound) {
		return h.renderPlans(w, r, http.StatusUnprocessableEntity, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/reach/plans/"+pl.ID, http.StatusSeeOther)
	return nil
}

// planView is a saved plan with what its page needs to explain it.
type planView struct {
	P         model.Plan
	C         Computed
	Options   map[string]model.Option
	Channels  map[string]string
	Cells     []string
	Accepted  *Accepted
	CanAccept bool
	Today     string
	// Percentages as the page words them.
	ReachPct, RatioPct, ConfidencePct string
}

func (h *handlers) planView(r *http.Request) (*planView, error) {
	ctx := r.Context()
	tid := web.Principal(r).TenantID
	pl, err := h.model.Plan(ctx, tid, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	v := &planView{P: pl, Options: map[string]model.Option{}, Channels: map[string]string{},
		Today: h.svc.now().AddDate(0, 0, 14).Format(time.DateOnly)}
	if err := json.Unmarshal(pl.Result, &v.C); err != nil {
		return nil, errs.Wrap(err, "reach: read the plan")
	}
	if v.C.Audience > 0 {
		v.ReachPct = strconv.FormatFloat(100*v.C.Estimate/v.C.Audience, 'f', 1, 64)
	}
	v.RatioPct = strconv.FormatFloat(100*v.C.Ratio, 'f', 0, 64)
	v.ConfidencePct = strconv.FormatFloat(100*(1-v.C.Delta), 'f', 0, 64)
	m, err := h.model.Model(ctx, tid)
	if err != nil {
		return nil, err
	}
	for _, o := range m.Options {
		v.Options[o.ID] = o
	}
	for _, c := range m.Channels {
		v.Channels[c.ID] = c.Name
	}
	communities := map[string]string{}
	for _, c := range m.Communities {
		communities[c.ID] = c.Name
	}
	for _, c := range m.Cells {
		for _, t := range pl.TargetCells {
			if t == c.ID {
				v.Cells = append(v.Cells, cellLabel(c, communities))
			}
		}
	}
	return v, nil
}

func (h *handlers) planPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderPlan(w, r, http.StatusOK, nil, nil)
}

func (h *handlers) renderPlan(w http.ResponseWriter, r *http.Request, status int, formErr error, acc *Accepted) error {
	v, err := h.planView(r)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", v)
	v.Accepted, v.CanAccept = acc, page.Can(engagements.PermWrite)
	page.Form = url.Values{"first": {v.Today}, "hour": {"18"}, "time_zone": {"UTC"}}
	if formErr != nil {
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, formErr)
		page.Errors = map[string]string{field: msg, "": msg}
	}
	return h.site.Render(w, r, status, "reach/plan.html", page)
}

func (h *handlers) acceptPlan(w http.ResponseWriter, r *http.Request) error {
	f, err := h.form(r)
	if err != nil {
		return err
	}
	hour, _ := strconv.Atoi(strings.TrimSpace(f.Get("hour")))
	acc, err := h.svc.Accept(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"),
		AcceptInput{First: f.Get("first"), Hour: hour, TimeZone: f.Get("time_zone")})
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.Conflict) {
		return h.renderPlan(w, r, http.StatusUnprocessableEntity, err, nil)
	}
	if err != nil {
		return err
	}
	return h.renderPlan(w, r, http.StatusOK, nil, &acc)
}
