package communities

import (
	"net/url"
	"strconv"
	"strings"

	"inoculate/internal/platform/errs"
)

// Form parsing: plain HTML form posts into the service's inputs. Numbers that do not
// parse are Invalid for their field; everything else is checked by the service.

func parseCommunityForm(f url.Values) NewCommunity {
	return NewCommunity{Name: f.Get("name"), Kind: Kind(f.Get("kind")), Region: f.Get("region"),
		Languages: []string{f.Get("languages")}, Brief: f.Get("brief")}
}

func parseAuthorityForm(f url.Values) (NewAuthority, error) {
	in := NewAuthority{Kind: AuthorityKind(f.Get("kind")), DisplayName: f.Get("display_name")}
	pos, err := parseInt(f.Get("position"), "position", 0)
	in.Position = pos
	return in, err
}

func parsePosition(f url.Values) (int, error) {
	pos, err := parseInt(f.Get("position"), "position", -1)
	if err == nil && pos < 1 {
		err = &errs.Error{Kind: errs.Invalid, Field: "position", MsgKey: "communities.error.position", Msg: "position must be 1 or more"}
	}
	return pos, err
}

func parseFigureForm(f url.Values) (NewFigure, error) {
	in := NewFigure{Kind: FigureKind(f.Get("figure_kind")), Source: f.Get("source")}
	v := strings.TrimSpace(strings.ReplaceAll(f.Get("value"), ",", ""))
	val, err := strconv.ParseFloat(v, 64)
	if err != nil || v == "" {
		return in, &errs.Error{Kind: errs.Invalid, Field: "value", MsgKey: "communities.error.number", Msg: "not a number"}
	}
	in.Value = val
	in.Year, err = parseInt(f.Get("year"), "year", -1)
	return in, err
}

// parseInt parses a small whole number; empty gives def (or Invalid when def < 0).
func parseInt(s, field string, def int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" && def >= 0 {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 100000 {
		return 0, &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "communities.error.number", Msg: "not a number"}
	}
	return n, nil
}
