package demo

import (
	"context"
	"fmt"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/testimonies"
)

// demoTranscript is Cedar's fictional account: it names the fictional uncle and his
// village, so the page shows flags to resolve.
const demoTranscript = `1
00:00:01,000 --> 00:00:05,000
I went because they promised a life with meaning.

2
00:00:05,500 --> 00:00:10,000
What I found was commanders fighting each other for money.

3
00:00:10,500 --> 00:00:14,000
My uncle in Hill Village told me not to go. I should have listened.
`

const demoTranscriptAR = `WEBVTT

00:00:01.000 --> 00:00:05.000
ذهبت لأنهم وعدوا بحياة لها معنى.

00:00:05.500 --> 00:00:10.000
ما وجدته كان قادة يتقاتلون فيما بينهم على المال.
`

// loadTestimony records Cedar's fictional testimony with an English and an Arabic
// track, themes and a clip, as a communications officer would.
func loadTestimony(ctx context.Context, parts Parts, co *authz.Principal, speakerID string) error {
	svc := parts.Testimonies
	t, err := svc.Create(ctx, co, "demo", testimonies.Input{ReturneeID: speakerID, Title: "Why I came back (fictional)", Language: "ar"})
	if err != nil {
		return fmt.Errorf("demo testimony: %w", err)
	}
	if _, _, err := svc.ImportTranscript(ctx, co, "demo", t.ID, "en", []byte(demoTranscript)); err != nil {
		return fmt.Errorf("demo transcript: %w", err)
	}
	if _, _, err := svc.ImportTranscript(ctx, co, "demo", t.ID, "ar", []byte(demoTranscriptAR)); err != nil {
		return fmt.Errorf("demo transcript (ar): %w", err)
	}
	if err := svc.SetThemes(ctx, co, "demo", t.ID, "en", 1, []string{"infighting", "corruption"}); err != nil {
		return fmt.Errorf("demo themes: %w", err)
	}
	if _, err := svc.AddClip(ctx, co, "demo", t.ID, "Commanders fighting for money (fictional)", 5500*time.Millisecond, 10*time.Second); err != nil {
		return fmt.Errorf("demo clip: %w", err)
	}
	return nil
}
