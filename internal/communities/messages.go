package communities

import "embed"

// Messages are this capability's user-interface strings in every language, loaded
// into the catalogues by the wiring (i18n.Load with a Fragment).
//
//go:embed i18n.en.json i18n.ar.json
var Messages embed.FS
