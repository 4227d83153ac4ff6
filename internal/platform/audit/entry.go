package audit

import "time"

// Entry is one audited event: who did what to which record, when, with what result.
// Only opaque ids and fixed action names: never names, identity data or free text
// (a reveal's written reason is kept apart from the log, see returnees).
type Entry struct {
	Time      time.Time `json:"time"`       // UTC; set by Append when zero
	TenantID  string    `json:"tenant"`     // "" for deployment-wide events
	ActorID   string    `json:"actor"`      // user id, "system" or "cli"
	Role      string    `json:"role"`       // role slug of the actor, "" for system
	Action    string    `json:"action"`     // e.g. "returnee.create", "returnee.reveal", "auth.login"
	Object    string    `json:"object"`     // opaque id of the record acted on, or ""
	Result    string    `json:"result"`     // "ok", "denied", "failed"
	RequestID string    `json:"request_id"` // correlates with the HTTP request, or ""
}
