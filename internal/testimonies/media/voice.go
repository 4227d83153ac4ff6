package media

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"inoculate/internal/platform/errs"
)

// Voice turns an approved transcript into speech. Re-voicing replaces the speaker's own voice,
// which identifies them and which pitch shifting does not hide (a shifted voice shifted back
// matches the original); espeak-ng is the built-in engine, and a better one plugs in here.
type Voice interface {
	// Synthesize writes text spoken in lang (a BCP 47 primary tag such as "en" or "ar") to a
	// WAV file at out.
	Synthesize(ctx context.Context, text, lang, out string) error
}

// ESpeak is the espeak-ng engine. The zero value runs espeak-ng from PATH with the default
// voices.
type ESpeak struct {
	Program string
	// Voices maps a language to an espeak-ng voice name; nil means DefaultESpeakVoices.
	Voices map[string]string
	// WordsPerMinute is the speaking rate; zero means espeak-ng's 175.
	WordsPerMinute int
}

// DefaultESpeakVoices are espeak-ng's own voices for the languages of the programme.
var DefaultESpeakVoices = map[string]string{
	"en": "en-us",
	"ar": "ar",
	"fr": "fr",
	"de": "de",
	"nl": "nl",
	"ru": "ru",
	"tr": "tr",
}

// maxSpeechText bounds one synthesis; a clip's transcript is far shorter.
const maxSpeechText = 100_000

// Synthesize implements Voice. The text goes to espeak-ng on standard input, never on the
// command line, so nothing in it can be read as an option.
func (e ESpeak) Synthesize(ctx context.Context, text, lang, out string) error {
	voices := e.Voices
	if voices == nil {
		voices = DefaultESpeakVoices
	}
	voice, ok := voices[lang]
	if !ok {
		// Reading Arabic with an English voice would not be re-voicing: refuse.
		return errs.Ef(errs.Invalid, "no synthetic voice for language %q", lang)
	}
	if strings.TrimSpace(text) == "" {
		return errs.E(errs.Invalid, "there is no approved text to speak")
	}
	if len(text) > maxSpeechText || !utf8.ValidString(text) {
		return errs.E(errs.Invalid, "the text to speak is too long or not valid UTF-8")
	}
	outArg, err := inputArg(out) // an absolute path cannot start with "-"
	if err != nil {
		return err
	}
	outArg = strings.TrimPrefix(outArg, "file:")
	args := []string{"-v", voice, "-b", "1", "--stdin", "-w", outArg}
	if e.WordsPerMinute > 0 {
		args = append(args, "-s", fmt.Sprint(e.WordsPerMinute))
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, orDefault(e.Program, "espeak-ng"), args...)
	cmd.Stdin = strings.NewReader(text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("media: revoice: %w", commandError("espeak-ng", err, stderr.Bytes()))
	}
	return nil
}

// Revoice speaks the approved transcript text in lang with espeak-ng into a WAV file, for
// ProtectOptions.ReplacementAudio.
func Revoice(ctx context.Context, text, lang, out string) error {
	return ESpeak{}.Synthesize(ctx, text, lang, out)
}

// Line is one approved transcript segment, to be spoken from Start.
type Line struct {
	Start time.Duration
	Text  string
}

// RevoiceReport says how well the synthetic voice kept to the transcript's timing.
type RevoiceReport struct {
	Lines int           // lines spoken
	Late  int           // lines that started after their Start because the one before ran long
	Drift time.Duration // the largest such delay
	Cut   bool          // speech ran past the length and was cut
}

// revoiceRate is the sample rate of the timed voice track: ample for speech.
const revoiceRate = 24000

// RevoiceLines speaks each line with v at its start time into one WAV file of exactly length,
// silent between lines, so the synthetic voice follows the picture and the subtitles. A line
// that runs into the next one's start pushes it later rather than overlapping it.
func RevoiceLines(ctx context.Context, v Voice, lines []Line, lang string, length time.Duration, out string) (RevoiceReport, error) {
	var rep RevoiceReport
	if length <= 0 || length > maxProbeDuration {
		return rep, errs.E(errs.Invalid, "the length of the voice track is out of range")
	}
	sorted := slices.Clone(lines)
	slices.SortStableFunc(sorted, func(a, b Line) int { return cmp.Compare(a.Start, b.Start) })
	dir, err := os.MkdirTemp("", "revoice-")
	if err != nil {
		return rep, fmt.Errorf("media: revoice: %w", err)
	}
	defer os.RemoveAll(dir)

	file, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return rep, fmt.Errorf("media: revoice: %w", err)
	}
	defer file.Close()
	total := int64(length.Seconds() * revoiceRate)
	w := bufio.NewWriter(file)
	if err := writeWAVHeader(w, total); err != nil {
		return rep, fmt.Errorf("media: revoice: %w", err)
	}
	var written int64 // samples so far
	zeros := make([]byte, 32<<10)
	silence := func(until int64) error {
		for written < until {
			n := min(until-written, int64(len(zeros)/2))
			if _, err := w.Write(zeros[:n*2]); err != nil {
				return fmt.Errorf("media: revoice: %w", err)
			}
			written += n
		}
		return nil
	}
	for i, line := range sorted {
		if strings.TrimSpace(line.Text) == "" {
			continue
		}
		start := max(int64(line.Start.Seconds()*revoiceRate), 0)
		if written > start {
			rep.Late++
			rep.Drift = max(rep.Drift, time.Duration(float64(written-start)/revoiceRate*float64(time.Second)))
		}
		if err := silence(min(start, total)); err != nil {
			return rep, err
		}
		wav := filepath.Join(dir, fmt.Sprintf("%d.wav", i))
		if err := v.Synthesize(ctx, line.Text, lang, wav); err != nil {
			return rep, err
		}
		pcm, err := speechPCM(ctx, wav)
		if err != nil {
			return rep, err
		}
		n := int64(len(pcm) / 2)
		if written+n > total {
			rep.Cut = true
			n = max(total-written, 0)
		}
		if _, err := w.Write(pcm[:n*2]); err != nil {
			return rep, fmt.Errorf("media: revoice: %w", err)
		}
		written += n
		rep.Lines++
	}
	if err := silence(total); err != nil {
		return rep, err
	}
	if err := w.Flush(); err != nil {
		return rep, fmt.Errorf("media: revoice: %w", err)
	}
	if err := file.Close(); err != nil {
		return rep, fmt.Errorf("media: revoice: %w", err)
	}
	return rep, nil
}

// speechPCM converts one synthesized WAV file to mono 16-bit samples at revoiceRate.
func speechPCM(ctx context.Context, wav string) ([]byte, error) {
	in, err := inputArg(wav)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := runCapture(ctx, "ffmpeg", "-nostdin", "-v", "error", "-hide_banner",
		"-protocol_whitelist", "file", "-format_whitelist", "wav", "-i", in,
		"-f", "s16le", "-ac", "1", "-ar", fmt.Sprint(revoiceRate), "pipe:1")
	if err != nil {
		return nil, fmt.Errorf("media: revoice: %w", err)
	}
	return out, nil
}

// writeWAVHeader writes the 44-byte header of a mono 16-bit PCM WAV file of n samples.
func writeWAVHeader(w io.Writer, n int64) error {
	data := n * 2
	if data > math.MaxUint32-36 {
		return errs.E(errs.Invalid, "the voice track is too long for a WAV file")
	}
	h := make([]byte, 0, 44)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(36+data))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, 1) // PCM
	h = binary.LittleEndian.AppendUint16(h, 1) // mono
	h = binary.LittleEndian.AppendUint32(h, revoiceRate)
	h = binary.LittleEndian.AppendUint32(h, revoiceRate*2)
	h = binary.LittleEndian.AppendUint16(h, 2)
	h = binary.LittleEndian.AppendUint16(h, 16)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(data))
	_, err := w.Write(h)
	return err
}
