package communities

import (
	"html"
	"html/template"
	"net/url"
	"strings"
)

// RenderBrief renders a cultural brief written in a small, safe subset of Markdown:
// paragraphs, headings (# and ##, shown one level below the page's own), emphasis
// (*x*, **x**), bullet lists (- or *), and links to https:// only, shown as their
// text followed by the address so no link can hide where it goes. Everything else is
// shown as text: every character of the input goes through html.EscapeString, and
// the only markup in the output is the fixed tags written here.
func RenderBrief(src string) template.HTML {
	src = strings.ToValidUTF8(strings.ReplaceAll(src, "\r\n", "\n"), "\uFFFD")
	var b strings.Builder
	var para []string
	inList := false
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>")
			inline(&b, strings.Join(para, " "), 0)
			b.WriteString("</p>\n")
			para = nil
		}
	}
	closeList := func() {
		if inList {
			b.WriteString("</ul>\n")
			inList = false
		}
	}
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			flush()
			closeList()
		case strings.HasPrefix(t, "## "):
			flush()
			closeList()
			b.WriteString("<h4>")
			inline(&b, strings.TrimSpace(t[3:]), 0)
			b.WriteString("</h4>\n")
		case strings.HasPrefix(t, "# "):
			flush()
			closeList()
			b.WriteString("<h3>")
			inline(&b, strings.TrimSpace(t[2:]), 0)
			b.WriteString("</h3>\n")
		case strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* "):
			flush()
			if !inList {
				b.WriteString("<ul>\n")
				inList = true
			}
			b.WriteString("<li>")
			inline(&b, strings.TrimSpace(t[2:]), 0)
			b.WriteString("</li>\n")
		default:
			closeList()
			para = append(para, t)
		}
	}
	flush()
	closeList()
	return template.HTML(b.String()) // #nosec: built only from escaped text and fixed tags
}

// inline writes s with emphasis and links; depth bounds nesting (emphasis inside
// emphasis is shown, deeper is text).
func inline(b *strings.Builder, s string, depth int) {
	var text strings.Builder
	emit := func() {
		b.WriteString(html.EscapeString(text.String()))
		text.Reset()
	}
	for i := 0; i < len(s); {
		rest := s[i:]
		if depth < 2 && strings.HasPrefix(rest, "**") {
			if j := strings.Index(rest[2:], "**"); j > 0 {
				emit()
				b.WriteString("<strong>")
				inline(b, rest[2:2+j], depth+1)
				b.WriteString("</strong>")
				i += 4 + j
				continue
			}
		}
		if depth < 2 && rest[0] == '*' && !strings.HasPrefix(rest, "**") {
			if j := strings.IndexByte(rest[1:], '*'); j > 0 && rest[1+j-1] != ' ' && rest[1] != ' ' {
				emit()
				b.WriteString("<em>")
				inline(b, rest[1:1+j], depth+1)
				b.WriteString("</em>")
				i += 2 + j
				continue
			}
		}
		if rest[0] == '[' {
			if label, href, n, ok := link(rest); ok {
				emit()
				b.WriteString(`<a href="`)
				b.WriteString(html.EscapeString(href))
				b.WriteString(`" rel="noopener noreferrer nofollow">`)
				b.WriteString(html.EscapeString(label))
				b.WriteString(`</a> <span class="muted">(`)
				b.WriteString(html.EscapeString(href))
				b.WriteString(`)</span>`)
				i += n
				continue
			}
		}
		text.WriteByte(s[i])
		i++
	}
	emit()
}

// link parses "[label](https://…)" at the start of s, returning its length; only an
// absolute https address with a host and no spaces or quotes is a link.
func link(s string) (label, href string, n int, ok bool) {
	end := strings.Index(s, "](")
	if end < 1 {
		return "", "", 0, false
	}
	label = s[1:end]
	if strings.ContainsAny(label, "[]") {
		return "", "", 0, false
	}
	close := strings.IndexByte(s[end+2:], ')')
	if close < 0 {
		return "", "", 0, false
	}
	href = s[end+2 : end+2+close]
	if !strings.HasPrefix(href, "https://") || strings.ContainsAny(href, " \t\"'<>`\\") {
		return "", "", 0, false
	}
	u, err := url.Parse(href)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return "", "", 0, false
	}
	return label, href, end + 3 + close, true
}
