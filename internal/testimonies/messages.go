package testimonies

import "embed"

// Messages are the capability's catalogue fragments, loaded by the wiring.
//
//go:embed i18n.en.json i18n.ar.json
var Messages embed.FS
