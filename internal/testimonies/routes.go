package testimonies

import (
	"embed"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/upload"
	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/consent"
	"inoculate/internal/testimonies/subtitles"
)

//go:embed all:templates
var templates embed.FS

// maxSubtitles bounds an uploaded subtitle file (the parser refuses more than 8 MB).
const maxSubtitles = 9 << 20

type handlers struct {
	site    *web.Site
	svc     *Service
	uploads *upload.Uploads
}

// Register adds the testimonies pages and API to site. uploads receives recordings
// (its Complete must be svc.Complete and its Owner UploadOwner of the path's
// testimony); nil leaves recordings out.
func Register(site *web.Site, svc *Service, uploads *upload.Uploads) error {
	if err := site.Templates.Add("testimonies", templates, "templates"); err != nil {
		return err
	}
	site.AddNav("/testimonies", "nav.testimonies", PermRead)
	h := &handlers{site: site, svc: svc, uploads: uploads}
	b := site.Browser()
	b.Handle("GET /testimonies", PermRead, h.list)
	b.Handle("POST /testimonies", PermWrite, h.create)
	b.Handle("GET /testimonies/{id}", PermRead, h.known(h.show))
	b.Handle("POST /testimonies/{id}/transcripts", PermWrite, h.known(h.importTranscript))
	b.Handle("GET /testimonies/{id}/export", PermRead, h.known(h.export))
	b.Handle("POST /testimonies/{id}/flags/{fid}", PermWrite, h.known(h.resolve))
	b.Handle("POST /testimonies/{id}/themes", PermWrite, h.known(h.themes))
	b.Handle("POST /testimonies/{id}/clips", PermWrite, h.known(h.addClip))
	site.SetBodyLimit("POST /testimonies/{id}/transcripts", maxSubtitles)
	if uploads != nil {
		b.Handle("POST /testimonies/{id}/uploads", PermWrite, h.known(uploads.Create))
		b.Handle("PUT /testimonies/{id}/uploads/{uid}", PermWrite, h.known(slowBody(uploads.Append)))
		b.Handle("HEAD /testimonies/{id}/uploads/{uid}", PermWrite, h.known(uploads.Offset))
		b.Handle("DELETE /testimonies/{id}/uploads/{uid}", PermWrite, h.known(uploads.Cancel))
		b.Handle("GET /testimonies/{id}/recordings/{rid}", PermReview, h.known(h.recording))
		b.Handle("POST /testimonies/{id}/renditions", PermWrite, h.known(h.requestRendition))
		b.Handle("POST /testimonies/{id}/renditions/{rid}/reviews", PermReleaseReview, h.known(h.review))
		b.Handle("POST /testimonies/{id}/renditions/{rid}/release", PermRelease, h.known(h.release))
		b.Handle("POST /testimonies/{id}/renditions/{rid}/publications", PermRelease, h.known(h.publish))
		b.Handle("GET /takedowns", PermTakedown, h.takedowns)
		site.AddNav("/takedowns", "nav.takedowns", PermTakedown)
		b.Handle("POST /takedowns/{tid}/done", PermTakedown, h.closeTakedown)
		site.SetBodyLimit("PUT /testimonies/{id}/uploads/{uid}", upload.MaxChunk+4096)
	}

	a := site.API()
	a.Handle("GET /api/v1/testimonies", PermRead, h.apiList)
	a.Handle("POST /api/v1/testimonies", PermWrite, h.apiCreate)
	a.Handle("GET /api/v1/testimonies/{id}", PermRead, h.known(h.apiGet))
	a.Handle("POST /api/v1/testimonies/{id}/transcripts/{lang}", PermWrite, h.known(h.apiImport))
	a.Handle("GET /api/v1/testimonies/{id}/transcripts/{lang}", PermRead, h.known(h.apiSegments))
	a.Handle("GET /api/v1/testimonies/{id}/flags", PermRead, h.known(h.apiFlags))
	a.Handle("POST /api/v1/testimonies/{id}/flags/{fid}", PermWrite, h.known(h.apiResolve))
	a.Handle("POST /api/v1/testimonies/{id}/clips", PermWrite, h.known(h.apiAddClip))
	site.SetBodyLimit("POST /api/v1/testimonies/{id}/transcripts/{lang}", maxSubtitles)
	return nil
}

// known opens the testimony named by the path first: another tenant's is not found.
func (h *handlers) known(next web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := h.svc.Get(r.Context(), web.Principal(r).TenantID, r.PathValue("id")); err != nil {
			return err
		}
		return next(w, r)
	}
}

type listData struct {
	List     []row
	People   []person
	CanWrite bool
}

type row struct {
	Testimony
	Alias string
	Open  int
}

type person struct{ ID, Alias string }

func (h *handlers) list(w http.ResponseWriter, r *http.Request) error {
	return h.renderList(w, r, http.StatusOK, nil)
}

func (h *handlers) renderList(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	ctx := r.Context()
	tid := web.Principal(r).TenantID
	list, err := h.svc.List(ctx, tid)
	if err != nil {
		return err
	}
	people, err := h.svc.returnees.List(ctx, tid)
	if err != nil {
		return err
	}
	aliases := map[string]string{}
	page := h.site.NewPage(r, "", nil)
	d := listData{CanWrite: page.Can(PermWrite)}
	for _, p := range people {
		aliases[p.ID] = p.Alias
		if !p.Erased {
			d.People = append(d.People, person{p.ID, p.Alias})
		}
	}
	for _, t := range list {
		n, err := h.svc.OpenFlags(ctx, tid, t.ID)
		if err != nil {
			return err
		}
		d.List = append(d.List, row{t, aliases[t.ReturneeID], n})
	}
	page.Data = d
	if formErr != nil {
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, formErr)
		page.Errors = map[string]string{field: msg}
	}
	return h.site.Render(w, r, status, "testimonies/list.html", page)
}

func (h *handlers) create(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	t, err := h.svc.Create(r.Context(), web.Principal(r), web.RequestID(r.Context()), Input{ReturneeID: f.Get("returnee_id"),
		Title: f.Get("title"), Language: f.Get("language"), RecordedOn: f.Get("recorded_on")})
	if errs.KindOf(err) == errs.Invalid {
		return h.renderList(w, r, http.StatusUnprocessableEntity, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/testimonies/"+t.ID+"?flash=flash.testimony_saved", http.StatusSeeOther)
	return nil
}

// slowBody gives a chunk of a recording time to arrive on a slow connection: the
// server's read timeout suits forms, not 16 MiB from a phone in a village.
func slowBody(next web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(15 * time.Minute))
		return next(w, r)
	}
}

// recording sends an original to a reviewer: an attachment, never shown inline, under
// a name the server makes.
func (h *handlers) recording(w http.ResponseWriter, r *http.Request) error {
	rec, rc, err := h.svc.OpenRecording(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("rid"))
	if err != nil {
		return err
	}
	defer rc.Close()
	// Several gigabytes take longer than the server's write timeout for pages.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(2 * time.Hour))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="recording-`+sanitizeLang(strings.ReplaceAll(rec.ID, "-", ""))+"."+sanitizeLang(rec.Kind)+`"`)
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Content-Length", strconv.FormatInt(rec.Size, 10))
	_, err = io.Copy(w, rc)
	return err
}

type showData struct {
	T            Testimony
	Alias        string
	Base         string
	Languages    []string
	Track        string
	Segments     []Segment
	Flags        []Flag
	Open         int
	Clips        []Clip
	Themes       []string
	CanWrite     bool
	Recordings   []Recording
	Renditions   []gated
	Audience     string
	Audiences    []consent.Audience
	Items        []string
	CanRelease   bool
	CanReviews   bool
	Publications []Publication
	Channels     []Channel
	CanReview    bool
	Uploads      bool
}

func (h *handlers) show(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, nil)
}

func (h *handlers) render(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	ctx := r.Context()
	p := web.Principal(r)
	t, err := h.svc.Get(ctx, p.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", nil)
	d := &showData{T: t, Base: "/testimonies/" + t.ID, Themes: Themes, CanWrite: page.Can(PermWrite)}
	if ret, err := h.svc.returnees.Get(ctx, p.TenantID, t.ReturneeID); err == nil {
		d.Alias = ret.Alias
	}
	if d.Languages, err = h.svc.Languages(ctx, p.TenantID, t.ID); err != nil {
		return err
	}
	d.Track = r.URL.Query().Get("track")
	if d.Track == "" && len(d.Languages) > 0 {
		d.Track = d.Languages[0]
	}
	if d.Track != "" {
		if d.Segments, err = h.svc.Segments(ctx, p, web.RequestID(ctx), t.ID, d.Track); err != nil && !errs.Is(err, errs.Conflict) {
			return err
		}
	}
	if d.Flags, err = h.svc.Flags(ctx, p, web.RequestID(ctx), t.ID); err != nil {
		return err
	}
	for _, f := range d.Flags {
		if f.Status == FlagOpen {
			d.Open++
		}
	}
	if d.Clips, err = h.svc.Clips(ctx, p.TenantID, t.ID); err != nil {
		return err
	}
	if d.Recordings, err = h.svc.Recordings(ctx, p.TenantID, t.ID); err != nil {
		return err
	}
	d.Audience = r.URL.Query().Get("audience")
	if d.Audience == "" {
		d.Audience = string(consent.AudienceNational)
	}
	d.Audiences, d.Items = []consent.Audience{consent.AudienceNational, consent.AudienceWorldwide}, ContextItems
	d.CanRelease, d.CanReviews = page.Can(PermRelease), page.Can(PermReleaseReview)
	if d.Publications, err = h.svc.Publications(ctx, p.TenantID, t.ID); err != nil {
		return err
	}
	if h.svc.channels != nil {
		if d.Channels, err = h.svc.channels(ctx, p.TenantID); err != nil {
			return err
		}
	}
	rends, err := h.svc.RenditionsOf(ctx, p.TenantID, t.ID)
	if err != nil {
		return err
	}
	for _, x := range rends {
		gd := gated{Rendition: x}
		if x.Status == "done" {
			if gd.Gate, err = h.svc.Gate(ctx, p.TenantID, t.ID, x.ID, consent.Audience(d.Audience)); err != nil {
				return err
			}
		}
		d.Renditions = append(d.Renditions, gd)
	}
	d.CanReview, d.Uploads = page.Can(PermReview), h.uploads != nil
	page.Data = d
	if formErr != nil {
		page.Form = r.PostForm
		field, msg := h.site.FieldMessage(r, formErr)
		page.Errors = map[string]string{field: msg, "": msg}
	}
	return h.site.Render(w, r, status, "testimonies/show.html", page)
}

func (h *handlers) after(w http.ResponseWriter, r *http.Request, err error, anchor string) error {
	if k := errs.KindOf(err); err != nil && (k == errs.Invalid || k == errs.Conflict) {
		return h.render(w, r, http.StatusUnprocessableEntity, err)
	}
	if err != nil {
		return err
	}
	q := "?flash=flash.testimony_saved"
	if t := r.PostForm.Get("track"); t != "" {
		q += "&track=" + t
	}
	http.Redirect(w, r, "/testimonies/"+r.PathValue("id")+q+"#"+anchor, http.StatusSeeOther)
	return nil
}

func (h *handlers) importTranscript(w http.ResponseWriter, r *http.Request) error {
	file, _, err := r.FormFile("file")
	if err != nil {
		return h.after(w, r, &errs.Error{Kind: errs.Invalid, Field: "file", MsgKey: "testimonies.error.file", Msg: "choose an SRT or WebVTT file"}, "tracks")
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, maxSubtitles))
	if err != nil {
		return errs.Wrap(err, "testimonies: read upload")
	}
	_, _, err = h.svc.ImportTranscript(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.FormValue("track"), b)
	return h.after(w, r, err, "tracks")
}

func (h *handlers) export(w http.ResponseWriter, r *http.Request) error {
	f, ext := subtitles.SRT, "srt"
	if r.URL.Query().Get("format") == "vtt" {
		f, ext = subtitles.WebVTT, "vtt"
	}
	lang := r.URL.Query().Get("track")
	b, err := h.svc.Export(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), lang, f)
	if err != nil {
		return err
	}
	// A server-made name: never the title, which a person typed.
	name := "testimony-" + strings.ReplaceAll(r.PathValue("id"), "-", "")[:12] + "-" + sanitizeLang(lang) + "." + ext
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err = w.Write(b)
	return err
}

func sanitizeLang(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r == '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (h *handlers) resolve(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	err := h.svc.ResolveFlag(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("fid"),
		r.PostForm.Get("action"), r.PostForm.Get("reason"))
	return h.after(w, r, err, "flags")
}

func (h *handlers) themes(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	idx, err := strconv.Atoi(r.PostForm.Get("index"))
	if err != nil {
		return h.after(w, r, invalid("index", "testimonies.error.segment", "no such segment"), "tracks")
	}
	err = h.svc.SetThemes(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PostForm.Get("track"), idx, r.PostForm["theme"])
	return h.after(w, r, err, "tracks")
}

func (h *handlers) requestRendition(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	_, err := h.svc.RequestRendition(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PostForm.Get("clip_id"))
	if errs.Is(err, errs.NotFound) {
		err = &errs.Error{Kind: errs.Invalid, Field: "clip_id", MsgKey: "testimonies.error.clip", Msg: "no such clip"}
	}
	return h.after(w, r, err, "clips")
}

// gated is a rendition with its release gate, for the page.
type gated struct {
	Rendition
	Gate Gate
}

func (h *handlers) review(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	err := h.svc.RecordReview(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("rid"),
		ReviewInput{Kind: f.Get("kind"), Decision: f.Get("decision"), Note: f.Get("note"), Checked: f["checked"]})
	return h.after(w, r, err, "renditions")
}

func (h *handlers) release(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	_, err := h.svc.Release(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("rid"), consent.Audience(r.PostForm.Get("audience")))
	return h.after(w, r, err, "renditions")
}

func (h *handlers) publish(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	_, err := h.svc.Publish(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("rid"),
		f.Get("channel_id"), f.Get("address"), f.Get("language"))
	return h.after(w, r, err, "renditions")
}

func (h *handlers) takedowns(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.Takedowns(r.Context(), web.Principal(r).TenantID)
	if err != nil {
		return err
	}
	page := h.site.NewPage(r, "", list)
	return h.site.Render(w, r, http.StatusOK, "testimonies/takedowns.html", page)
}

func (h *handlers) closeTakedown(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	err := h.svc.CloseTakedown(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("tid"), r.PostForm.Get("note"))
	if k := errs.KindOf(err); err != nil && k == errs.Invalid {
		list, lerr := h.svc.Takedowns(r.Context(), web.Principal(r).TenantID)
		if lerr != nil {
			return lerr
		}
		page := h.site.NewPage(r, "", list)
		_, msg := h.site.FieldMessage(r, err)
		page.Errors = map[string]string{"": msg}
		return h.site.Render(w, r, http.StatusUnprocessableEntity, "testimonies/takedowns.html", page)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/takedowns?flash=flash.testimony_saved", http.StatusSeeOther)
	return nil
}

func (h *handlers) addClip(w http.ResponseWriter, r *http.Request) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	a, ok1 := ParseTime(r.PostForm.Get("start"))
	b, ok2 := ParseTime(r.PostForm.Get("end"))
	var err error
	if !ok1 || !ok2 {
		err = invalid("start", "testimonies.error.time", "times are like 1:15 or 01:02:03")
	} else {
		_, err = h.svc.AddClip(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PostForm.Get("title"), a, b)
	}
	return h.after(w, r, err, "clips")
}

// Format durations on the page as h:mm:ss.
func clock(d time.Duration) string {
	s := int(d / time.Second)
	return strconv.Itoa(s/3600) + ":" + pad(s/60%60) + ":" + pad(s%60)
}

func pad(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// Clock is a segment's start as the page shows it.
func (s Segment) Clock() string { return clock(s.Start) }

// Clock is a clip's range as the page shows it.
func (c Clip) Clock() string { return clock(c.Start) + "–" + clock(c.End) }

// HasTheme reports whether the segment is tagged with theme t.
func (s Segment) HasTheme(t string) bool {
	for _, x := range s.Themes {
		if x == t {
			return true
		}
	}
	return false
}
