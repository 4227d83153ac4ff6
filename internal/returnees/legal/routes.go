package legal

import (
	"embed"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
	"inoculate/internal/returnees/caseref"
)

//go:embed templates
var templates embed.FS

type handlers struct {
	site  *web.Site
	svc   *Service
	cases caseref.Cases
}

// Register adds the legal templates and routes to site. Every handler opens the case
// through cases first (tenant and caseload), then acts on it.
func Register(site *web.Site, svc *Service, cases caseref.Cases) error {
	if err := site.Templates.Add("legal", templates, "templates"); err != nil {
		return err
	}
	h := &handlers{site: site, svc: svc, cases: cases}

	b := site.Browser()
	b.Handle("GET /returnees/{id}/legal", PermRead, h.page)
	b.Handle("POST /returnees/{id}/legal/screening", PermWrite, h.postScreening)
	b.Handle("POST /returnees/{id}/legal/referrals", PermWrite, h.postReferral)
	b.Handle("POST /returnees/{id}/legal/agreements", PermWrite, h.postAgreement)
	b.Handle("POST /returnees/{id}/legal/agreements/{aid}", PermWrite, h.postEdit)
	b.Handle("POST /returnees/{id}/legal/agreements/{aid}/transitions", PermWrite, h.postTransition)
	b.Handle("POST /returnees/{id}/legal/agreements/{aid}/sign", PermSign, h.postSign)
	b.Handle("POST /returnees/{id}/legal/agreements/{aid}/revoke", PermEnd, h.postEnd(StatusRevoked))
	b.Handle("POST /returnees/{id}/legal/agreements/{aid}/breach", PermEnd, h.postEnd(StatusBreached))
	b.Handle("POST /returnees/{id}/legal/agreements/{aid}/documents", PermWrite, h.postDocument)
	// A signed document is bigger than a form: room for it plus the multipart framing.
	site.SetBodyLimit("POST /returnees/{id}/legal/agreements/{aid}/documents", MaxDocumentSize+64<<10)
	b.Handle("GET /returnees/{id}/legal/agreements/{aid}/documents/{did}", PermDocument, h.download)

	a := site.API()
	a.Handle("GET /api/v1/returnees/{id}/legal", PermRead, h.apiDetails)
	a.Handle("GET /api/v1/returnees/{id}/legal/status", PermRead, h.apiStatus)
	a.Handle("GET /api/v1/returnees/{id}/screening", PermRead, h.apiScreening)
	a.Handle("POST /api/v1/returnees/{id}/screening", PermWrite, h.apiPostScreening)
	a.Handle("POST /api/v1/returnees/{id}/referrals", PermWrite, h.apiPostReferral)
	a.Handle("GET /api/v1/returnees/{id}/agreements", PermRead, h.apiAgreements)
	a.Handle("POST /api/v1/returnees/{id}/agreements", PermWrite, h.apiPostAgreement)
	a.Handle("GET /api/v1/returnees/{id}/agreements/{aid}", PermRead, h.apiAgreement)
	a.Handle("PUT /api/v1/returnees/{id}/agreements/{aid}", PermWrite, h.apiPutAgreement)
	a.Handle("POST /api/v1/returnees/{id}/agreements/{aid}/transitions", PermWrite, h.apiTransition)
	a.Handle("POST /api/v1/returnees/{id}/agreements/{aid}/sign", PermSign, h.apiSign)
	a.Handle("POST /api/v1/returnees/{id}/agreements/{aid}/revoke", PermEnd, h.apiEnd(StatusRevoked))
	a.Handle("POST /api/v1/returnees/{id}/agreements/{aid}/breach", PermEnd, h.apiEnd(StatusBreached))
	a.Handle("POST /api/v1/returnees/{id}/agreements/{aid}/documents", PermWrite, h.apiPostDocument)
	site.SetBodyLimit("POST /api/v1/returnees/{id}/agreements/{aid}/documents", MaxDocumentSize+64<<10)
	a.Handle("GET /api/v1/returnees/{id}/agreements/{aid}/documents/{did}", PermDocument, h.download)
	return nil
}

// openCase opens the case named in the path for the principal: NotFound for another
// tenant's or another caseload's case.
func (h *handlers) openCase(r *http.Request) (caseref.Case, error) {
	return h.cases.Open(r.Context(), web.Principal(r), r.PathValue("id"))
}

// readDocument reads the "document" part of a multipart upload into memory, at most
// MaxDocumentSize bytes. It streams the parts itself instead of ParseMultipartForm,
// which would spill a large file to a temporary file on disk in clear.
func readDocument(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxDocumentSize+(1<<20))
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Field: "document", MsgKey: "legal.error.document_missing", Msg: "send the signed document as multipart/form-data in the field \"document\"", Err: err}
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, &errs.Error{Kind: errs.Invalid, Field: "document", MsgKey: "legal.error.document_missing", Msg: "choose the file of the signed document"}
		}
		if err != nil {
			return nil, uploadErr(err)
		}
		if part.FormName() != "document" {
			if _, err := io.Copy(io.Discard, io.LimitReader(part, 1<<20)); err != nil {
				return nil, uploadErr(err)
			}
			continue
		}
		return readPart(part)
	}
}

func readPart(part *multipart.Part) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(part, MaxDocumentSize+1))
	if err != nil {
		return nil, uploadErr(err)
	}
	if len(b) > MaxDocumentSize {
		return nil, errDocumentTooLarge
	}
	return b, nil
}

func uploadErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errDocumentTooLarge
	}
	return &errs.Error{Kind: errs.Invalid, Field: "document", MsgKey: "error.bad_request", Msg: "the upload could not be read", Err: err}
}

// download sends a signed document as an attachment with a name we choose: never the
// uploader's file name, never shown inline.
func (h *handlers) download(w http.ResponseWriter, r *http.Request) error {
	c, err := h.openCase(r)
	if err != nil {
		return err
	}
	aid := r.PathValue("aid")
	d, content, err := h.svc.Download(r.Context(), web.Principal(r), web.RequestID(r.Context()), c, aid, r.PathValue("did"))
	if err != nil {
		return err
	}
	name := "agreement-" + short(aid) + "-signed-" + short(d.ID) + "." + extFor(d.ContentType)
	hd := w.Header()
	hd.Set("Content-Type", d.ContentType)
	hd.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Content-Length", strconv.Itoa(len(content)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(content)
	if err != nil {
		return nil // the client went away; the read is already audited
	}
	return nil
}

// short is the last 8 characters of a UUIDv7 (its random part), for file names.
func short(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[len(id)-8:]
}
