package communities

import (
	"regexp"
	"strings"
	"testing"
)

func TestRenderBrief(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"hello", "<p>hello</p>\n"},
		{"a\nb\n\nc", "<p>a b</p>\n<p>c</p>\n"},
		{"# Title\n## Sub", "<h3>Title</h3>\n<h4>Sub</h4>\n"},
		{"- one\n* two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"},
		{"**bold** and *it*", "<p><strong>bold</strong> and <em>it</em></p>\n"},
		{"**a *b* c**", "<p><strong>a <em>b</em> c</strong></p>\n"},
		{"<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{"[site](https://example.org/a?b=1&c=2)", `<p><a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">site</a> <span class="muted">(https://example.org/a?b=1&amp;c=2)</span></p>` + "\n"},
		{"[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"},
		{"[x](http://example.org)", "<p>[x](http://example.org)</p>\n"},
		{`[x](https://e.org/"onmouseover=)`, "<p>[x](https://e.org/&#34;onmouseover=)</p>\n"},
		{"[<b>](https://e.org)", `<p><a href="https://e.org" rel="noopener noreferrer nofollow">&lt;b&gt;</a> <span class="muted">(https://e.org)</span></p>` + "\n"},
		{"2 * 3 * 4", "<p>2 * 3 * 4</p>\n"},
		{"", ""},
	} {
		if got := string(RenderBrief(tc.in)); got != tc.want {
			t.Errorf("RenderBrief(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// allowedTag matches exactly the markup RenderBrief may write.
var allowedTag = regexp.MustCompile(`</?(p|h3|h4|ul|li|strong|em)>|<a href="https://[^"<>]*" rel="noopener noreferrer nofollow">|</a>|<span class="muted">|</span>`)

func FuzzRenderBrief(f *testing.F) {
	for _, s := range []string{"# a\n- *b*\n**c**", "<img src=x onerror=alert(1)>", "[a](https://x.org)<", "[<a>](https://x.org/<)",
		"**<**>*", "[](https://x)", "\x00\xff<", "*[x](https://a.b)*", `[q](https://a.b/"x)`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := string(RenderBrief(in))
		rest := allowedTag.ReplaceAllString(out, "")
		if strings.ContainsAny(rest, "<>") {
			t.Fatalf("raw markup in output of %q: %q", in, out)
		}
		if strings.Count(in, "<") > 0 && strings.Count(out, "&lt;") < strings.Count(in, "<") {
			t.Fatalf("a '<' of the input was not escaped: %q -> %q", in, out)
		}
		for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(out, -1) {
			if !strings.HasPrefix(m[1], "https://") {
				t.Fatalf("non-https link %q", m[1])
			}
		}
	})
}
