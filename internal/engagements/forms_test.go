package engagements

import (
	"net/url"
	"testing"
	"time"
)

// FuzzParseInput: any form body parses to an Input or an Invalid field error, never
// a panic, and numbers that parse are within their bounds.
func FuzzParseInput(f *testing.F) {
	f.Add("kind=public_forum&title=T&minutes=90&slots=1&expected_audience=80")
	f.Add("minutes=-1")
	f.Add("slots=99999999999999999999")
	f.Add("expected_audience=%00")
	f.Add("title=%D8%B9%D8%B1%D8%A8%D9%8A&start=2026-12-03T18:00&time_zone=Asia%2FBaghdad")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in, err := parseInput(v)
		if err != nil {
			return
		}
		if in.Minutes < 0 || in.ExpectedAudience < 0 || in.Slots < 0 || in.Minutes > maxAudience || in.Slots > maxAudience {
			t.Fatalf("out-of-range numbers accepted: %+v", in)
		}
	})
}

// FuzzParseAttendance: a head count is a whole number from 0 up, or refused.
func FuzzParseAttendance(f *testing.F) {
	for _, s := range []string{"120", " 45 ", "-1", "1e3", "٣", "99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseAttendance(s)
		if err == nil && (n < 0 || n > maxAudience) {
			t.Fatalf("%q gave %d", s, n)
		}
	})
}

func TestMonthAndWeekGrids(t *testing.T) {
	// November 2026 starts on a Sunday: the grid starts Monday 26 October.
	weeks := Month(mustDate("2026-11-17"), nil, mustDate("2026-11-25"))
	if len(weeks) != 6 || weeks[0][0].Date.Format("2006-01-02") != "2026-10-26" || weeks[5][6].Date.Format("2006-01-02") != "2026-12-06" {
		t.Fatalf("grid: %d weeks from %s to %s", len(weeks), weeks[0][0].Date, weeks[len(weeks)-1][6].Date)
	}
	if weeks[0][0].InMonth || !weeks[0][6].InMonth || !weeks[4][2].Today {
		t.Fatal("in-month or today flags wrong")
	}
	days := Week(mustDate("2026-11-25"), nil, mustDate("2026-11-25"))
	if days[0].Date.Format("2006-01-02") != "2026-11-23" || !days[2].Today {
		t.Fatalf("week starts %s", days[0].Date)
	}
}

func mustDate(s string) (t time.Time) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}
