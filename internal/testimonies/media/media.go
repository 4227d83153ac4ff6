// Package media inspects recordings and makes protected renditions of them: a file's kind is
// read from its first bytes, ffprobe reports what it holds, and Protect re-encodes it with
// every detected face filled by an opaque box (or the whole picture blacked out) and the voice
// kept, removed or replaced by a synthetic one. CheckOutput is the release gate's look at the
// exact output file: metadata outside an allowlist, encoder fingerprints, and faces left
// unfilled on sampled frames.
//
// ffmpeg, ffprobe and espeak-ng are run as subprocesses with fixed argument lists and
// timeouts; no shell is involved, and file names are always passed with the "file:" protocol
// so that a name can never be read as an option or as another protocol.
package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Tools names the programs this package runs; the zero value finds them on PATH.
type Tools struct {
	FFmpeg  string
	FFprobe string
}

func (t Tools) ffmpeg() string  { return orDefault(t.FFmpeg, "ffmpeg") }
func (t Tools) ffprobe() string { return orDefault(t.FFprobe, "ffprobe") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Available reports which of ffmpeg, ffprobe and espeak-ng are missing from PATH, so that a
// caller (and the tests) can say plainly what to install.
func Available() (missing []string) {
	for _, name := range []string{"ffmpeg", "ffprobe", "espeak-ng"} {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name)
		}
	}
	return missing
}

// probeTimeout bounds an ffprobe run: inspection reads headers, never the whole file.
const probeTimeout = 30 * time.Second

// inputArg turns a path into an ffmpeg input that can only be a local file: an absolute path
// behind the "file:" protocol, so "-x", "http:…" or "concat:…" names mean nothing special.
func inputArg(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("media: resolve %q: %w", path, err)
	}
	return "file:" + abs, nil
}

// inputGuard limits what ffmpeg may open while reading an untrusted file: only local files
// (a playlist inside cannot fetch URLs) and only the container formats Sniff accepts.
var inputGuard = []string{
	"-protocol_whitelist", "file",
	"-format_whitelist", "mov,mp4,m4a,matroska,webm,wav,mp3,ogg,flac",
}

// runCapture runs a program to completion under ctx and returns its standard output; a
// failure carries the tail of standard error, which is where ffmpeg explains itself.
func runCapture(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return nil, commandError(name, err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

func commandError(name string, err error, stderr []byte) error {
	msg := strings.TrimSpace(string(stderr))
	if len(msg) > 600 {
		msg = "…" + msg[len(msg)-600:]
	}
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("media: %s is not installed: %w", name, err)
	}
	if msg == "" {
		return fmt.Errorf("media: %s: %w", name, err)
	}
	return fmt.Errorf("media: %s: %w: %s", name, err, msg)
}
