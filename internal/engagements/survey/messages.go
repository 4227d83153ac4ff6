package survey

import "embed"

// Messages are the survey's user-interface strings and the instrument's statements
// in every language, for the wiring to load into the catalogues (an i18n Fragment).
//
//go:embed i18n.en.json i18n.ar.json
var Messages embed.FS
