package model

import "embed"

// Messages are this package's user-interface strings (the reach.error.* keys of its
// errors and import reports) in every language, loaded into the catalogues by the
// wiring (i18n.Load with a Fragment).
//
//go:embed i18n.en.json i18n.ar.json
var Messages embed.FS
