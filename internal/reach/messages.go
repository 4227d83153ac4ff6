package reach

import "embed"

// Messages are the planner pages' catalogue fragments (the model's own errors are in
// reach/model's).
//
//go:embed i18n.en.json i18n.ar.json
var Messages embed.FS
