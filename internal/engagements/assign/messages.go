package assign

import (
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The package's explanation texts. The English file also gives Reason.Text, so the
// English of an explanation has one source.
var (
	//go:embed i18n.en.json
	catalogEN []byte

	// Messages are the explanations in every language, for the wiring to load into
	// the catalogues (an i18n Fragment): every Reason.Key is a key there.
	//
	//go:embed i18n.en.json i18n.ar.json
	Messages embed.FS
)

var english = mustCatalog(catalogEN)

func mustCatalog(data []byte) map[string]string {
	var out map[string]string
	if err := json.Unmarshal(data, &out); err != nil {
		panic("assign: bad i18n file: " + err.Error())
	}
	return out
}

// English returns the English text of key with {0}, {1}… replaced by args, in one
// pass (a caller's reason containing "{1}" is not expanded again). An unknown key
// gives the key.
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
		if idx, err := strconv.Atoi(text[i+1 : i+j]); err == nil && idx >= 0 && idx < len(args) {
			b.WriteString(fmt.Sprint(args[idx]))
		} else {
			b.WriteString(text[i : i+j+1])
		}
		text = text[i+j+1:]
	}
}
