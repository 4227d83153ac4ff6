package testimonies

import (
	"io"
	"net/http"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

func (h *handlers) apiList(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.List(r.Context(), web.Principal(r).TenantID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"testimonies": list})
	return nil
}

func (h *handlers) apiCreate(w http.ResponseWriter, r *http.Request) error {
	var in Input
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, err := h.svc.Create(r.Context(), web.Principal(r), web.RequestID(r.Context()), in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, t)
	return nil
}

func (h *handlers) apiGet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	tid := web.Principal(r).TenantID
	t, err := h.svc.Get(ctx, tid, r.PathValue("id"))
	if err != nil {
		return err
	}
	langs, err := h.svc.Languages(ctx, tid, t.ID)
	if err != nil {
		return err
	}
	open, err := h.svc.OpenFlags(ctx, tid, t.ID)
	if err != nil {
		return err
	}
	clips, err := h.svc.Clips(ctx, tid, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"testimony": t, "languages": langs, "open_flags": open, "clips": clips})
	return nil
}

// apiImport takes the SRT or WebVTT file as the request body.
func (h *handlers) apiImport(w http.ResponseWriter, r *http.Request) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return &errs.Error{Kind: errs.Invalid, Field: "file", MsgKey: "testimonies.error.file", Msg: "the file could not be read (too large?)"}
	}
	n, open, err := h.svc.ImportTranscript(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("lang"), b)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"segments": n, "open_flags": open})
	return nil
}

func (h *handlers) apiSegments(w http.ResponseWriter, r *http.Request) error {
	segs, err := h.svc.Segments(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("lang"))
	if err != nil {
		return err
	}
	if segs == nil {
		segs = []Segment{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"segments": segs})
	return nil
}

func (h *handlers) apiFlags(w http.ResponseWriter, r *http.Request) error {
	flags, err := h.svc.Flags(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"flags": flags})
	return nil
}

func (h *handlers) apiResolve(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := h.svc.ResolveFlag(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), r.PathValue("fid"), in.Action, in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handlers) apiAddClip(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Title string `json:"title"`
		Start string `json:"start"`
		End   string `json:"end"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	a, ok1 := ParseTime(in.Start)
	b, ok2 := ParseTime(in.End)
	if !ok1 || !ok2 {
		return invalid("start", "testimonies.error.time", "times are like 1:15 or 01:02:03")
	}
	c, err := h.svc.AddClip(r.Context(), web.Principal(r), web.RequestID(r.Context()), r.PathValue("id"), in.Title, a, b)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, c)
	return nil
}
