package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"inoculate/internal/communities"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// TestEngagementAPIContract checks the two API contracts issue 4 makes stable:
// GET /api/v1/engagements/{id}/readiness → {"ready": bool, "reasons": [...]}, and
// POST /api/v1/engagements/{id}/approvals {"authority_id", "decision", "reason"}.
func TestEngagementAPIContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		e := f.engagement["A"]
		sup := &authz.Principal{TenantID: f.ten["A"].ID, UserID: f.user["A"][authz.Supervisor].ID, Role: authz.Supervisor, Stage: authz.StageFull}
		var chain []communities.Authority
		for _, name := range []string{"First elder", "Second imam"} {
			a, err := f.app.Communities.AddAuthority(ctx, sup, "t", f.community["A"].ID, communities.NewAuthority{Kind: "elder", DisplayName: name})
			if err != nil {
				t.Fatal(err)
			}
			chain = append(chain, a)
		}
		path := "/api/v1/engagements/" + e.ID

		res := f.do("GET", path+"/readiness", "", "A", authz.CaseWorker, nil)
		var rd struct {
			Ready   *bool `json:"ready"`
			Reasons []struct {
				Code string `json:"code"`
				Text string `json:"text"`
			} `json:"reasons"`
		}
		if err := json.Unmarshal([]byte(res.body), &rd); err != nil || res.status != http.StatusOK || rd.Ready == nil || *rd.Ready || len(rd.Reasons) == 0 {
			t.Fatalf("readiness: %d %s", res.status, res.body)
		}
		codes := map[string]string{}
		for _, r := range rd.Reasons {
			codes[r.Code] = r.Text
		}
		if codes["no_speakers"] == "" || codes["chain_waiting"] != "Approvals still missing, in this order: First elder, Second imam." {
			t.Fatalf("reasons: %+v", rd.Reasons)
		}

		post := func(body string) response {
			return f.do("POST", path+"/approvals", body, "A", authz.CommunityLiaison, nil)
		}
		if res := post(`{"authority_id":"` + chain[1].ID + `","decision":"approve"}`); res.status != http.StatusConflict {
			t.Errorf("out of turn: %d %s", res.status, res.body)
		}
		if res := post(`{"authority_id":"` + chain[0].ID + `","decision":"maybe"}`); res.status != http.StatusUnprocessableEntity && res.status != http.StatusBadRequest {
			t.Errorf("unknown decision: %d %s", res.status, res.body)
		}
		if res := post(`{"authority_id":"` + chain[0].ID + `","decision":"veto"}`); res.status != http.StatusUnprocessableEntity && res.status != http.StatusBadRequest {
			t.Errorf("veto without reason: %d %s", res.status, res.body)
		}
		res = post(`{"authority_id":"` + chain[0].ID + `","decision":"approve","reason":""}`)
		if res.status != http.StatusCreated {
			t.Fatalf("approve: %d %s", res.status, res.body)
		}
		res = post(`{"authority_id":"` + chain[1].ID + `","decision":"approve"}`)
		var out struct {
			Status string `json:"status"`
			Chain  []struct {
				Status string `json:"status"`
			} `json:"chain"`
		}
		if err := json.Unmarshal([]byte(res.body), &out); err != nil || res.status != http.StatusCreated || out.Status != "approved" ||
			len(out.Chain) != 2 || out.Chain[1].Status != "approved" {
			t.Fatalf("second approval: %d %s", res.status, res.body)
		}
		// Scheduling without a speaker is refused with the reasons, as JSON.
		res = f.do("POST", path+"/schedule", `{}`, "A", authz.CommunityLiaison, nil)
		if res.status != http.StatusConflict || !json.Valid([]byte(res.body)) {
			t.Fatalf("schedule: %d %s", res.status, res.body)
		}
		var refused struct {
			Ready   bool `json:"ready"`
			Reasons []struct {
				Code string `json:"code"`
			} `json:"reasons"`
		}
		_ = json.Unmarshal([]byte(res.body), &refused)
		if refused.Ready || len(refused.Reasons) == 0 || refused.Reasons[0].Code != "no_speakers" {
			t.Fatalf("refusal: %s", res.body)
		}
		// Liaisons never see legal identity, comms officers never the venue.
		for _, r := range []authz.Role{authz.CommunityLiaison, authz.CommsOfficer} {
			res := f.do("GET", path, "", "A", r, nil)
			if res.status != http.StatusOK {
				t.Fatalf("%s: %d", r, res.status)
			}
			noLeak(t, string(r), res, f, false)
			var v struct {
				Venue string `json:"venue"`
			}
			_ = json.Unmarshal([]byte(res.body), &v)
			if (r == authz.CommsOfficer) != (v.Venue == "") {
				t.Errorf("%s sees venue %q", r, v.Venue)
			}
		}
	})
}
