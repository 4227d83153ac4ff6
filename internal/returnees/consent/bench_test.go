package consent

import (
	"testing"
	"time"
)

// BenchmarkEvaluate is the cost of answering "is this allowed?" from a loaded
// version: every publication and engagement check calls it.
func BenchmarkEvaluate(b *testing.B) {
	v := Version{Version: 3, Status: StatusActive, Uses: []Use{UsePublicForum, UseMediaInterview, UseRecordedTestimony},
		IdentityLevel: LevelAliasProtected, Audiences: []Audience{AudienceNational, AudienceNamedCommunities},
		Communities: []string{"harbour town", "hill village"}, Languages: []string{"ar", "en"}, Expires: "2027-11-25"}
	q := Query{Use: UseMediaInterview, IdentityLevel: LevelTextOnly, Audience: AudienceNamedCommunities,
		Community: "Hill Village", Language: "ar-eg", At: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	if d := Evaluate(v, q); !d.Allowed {
		b.Fatalf("the benchmark's query is refused: %+v", d)
	}
	for b.Loop() {
		Evaluate(v, q)
	}
}
