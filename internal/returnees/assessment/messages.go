package assessment

import (
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"inoculate/internal/platform/i18n"
)

// The package's user-interface strings, merged into the shared catalogues; the
// English file also gives Reason.Text, so the English of a reason has one source.
var (
	//go:embed i18n.en.json
	catalogEN []byte

	// Messages are this capability's strings in every language, loaded into the
	// catalogues by the wiring (i18n.Load with a Fragment).
	//
	//go:embed i18n.en.json i18n.ar.json
	Messages embed.FS
)

var english = mustCatalog(catalogEN)

// mustCatalog reads the plain (non-plural) messages of a catalogue file; plural
// entries are skipped, reasons never use them.
func mustCatalog(data []byte) map[string]string {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		panic("assessment: bad i18n file: " + err.Error())
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		}
	}
	return out
}

// English returns the English text of key with {0}, {1}… replaced by args; an
// argument of type i18n.Key is itself translated. An unknown key gives the key.
func English(key string, args ...any) string {
	text, ok := english[key]
	if !ok {
		return key
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		idx, err := strconv.Atoi(text[i+1 : i+j])
		if err == nil && idx >= 0 && idx < len(args) {
			switch a := args[idx].(type) {
			case i18n.Key:
				b.WriteString(English(string(a)))
			case time.Time:
				b.WriteString(a.Format(time.DateOnly))
			default:
				b.WriteString(fmt.Sprint(a))
			}
		} else {
			b.WriteString(text[i : i+j+1])
		}
		text = text[i+j+1:]
	}
}
