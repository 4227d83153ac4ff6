package media

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test recordings are made here, from lavfi sources, the face in testdata/face.jpg and
// espeak-ng speech, once per test run and shared by the tests that need them.

var mediaDir string // set by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "media-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mediaDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireTools skips when ffmpeg, ffprobe or espeak-ng is missing, and fails under CI, which
// installs them.
func requireTools(t testing.TB) {
	t.Helper()
	if missing := Available(); len(missing) > 0 {
		msg := fmt.Sprintf("%s not installed (apt-get install ffmpeg espeak-ng): media tests not run", strings.Join(missing, ", "))
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; .ci/run must install them")
		}
		t.Skip(msg)
	}
}

// The test clip: a 1280×720 picture at 25 fps with the face moving right and bobbing up and
// down, and speech as the voice.
const (
	clipWidth    = 1280
	clipHeight   = 720
	clipRate     = 25
	clipSeconds  = 5
	faceWidth    = 192 // testdata/face.jpg
	faceHeight   = 240
	faceX        = "150+t*120" // overlay position, as ffmpeg expressions of t in seconds
	faceY        = "200+80*sin(t*2)"
	clipSpeech   = "I was with them for two years. I saw what they did in the villages, and I left."
	clipTitle    = "Testimony of Ahmad from Raqqa"
	clipLocation = "+35.9528+039.0079/"
)

// facePosition is where the overlay put the face image at time t (seconds), as faceX, faceY.
func facePosition(t float64) (x, y int) {
	return int(150 + t*120), int(200 + 80*math.Sin(t*2))
}

type fixtures struct {
	speech   string // espeak-ng WAV
	original string // 720p MP4 with the face, the speech and identifying metadata
}

var (
	fixtureOnce sync.Once
	fixture     fixtures
	fixtureErr  error
)

// testMedia makes the shared recordings on first use.
func testMedia(t testing.TB) fixtures {
	t.Helper()
	requireTools(t)
	fixtureOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		f := fixtures{
			speech:   filepath.Join(mediaDir, "speech.wav"),
			original: filepath.Join(mediaDir, "original.mp4"),
		}
		if fixtureErr = Revoice(ctx, clipSpeech, "en", f.speech); fixtureErr != nil {
			return
		}
		face, err := filepath.Abs(filepath.Join("testdata", "face.jpg"))
		if err != nil {
			fixtureErr = err
			return
		}
		fixtureErr = ffmpeg(ctx,
			"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=s=%dx%d:r=%d:d=%d", clipWidth, clipHeight, clipRate, clipSeconds),
			"-loop", "1", "-framerate", fmt.Sprint(clipRate), "-i", face,
			"-i", f.speech,
			"-filter_complex", fmt.Sprintf("[0:v][1:v]overlay=x='%s':y='%s':shortest=1[v];[2:a]apad[a]", faceX, faceY),
			"-map", "[v]", "-map", "[a]", "-t", fmt.Sprint(clipSeconds),
			"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
			"-metadata", "title="+clipTitle, "-metadata", "location="+clipLocation,
			"-metadata", "comment=filmed on a phone",
			f.original)
		fixture = f
	})
	if fixtureErr != nil {
		t.Fatalf("making test media: %v", fixtureErr)
	}
	return fixture
}

// ffmpeg runs ffmpeg for a test fixture.
func ffmpeg(ctx context.Context, args ...string) error {
	args = append([]string{"-nostdin", "-v", "error", "-y"}, args...)
	out, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// makeFile runs ffmpeg to make a small file of another kind in the run's directory, once.
var madeFiles sync.Map

func makeFile(t testing.TB, name string, args ...string) string {
	t.Helper()
	requireTools(t)
	path := filepath.Join(mediaDir, name)
	once, _ := madeFiles.LoadOrStore(name, new(sync.Once))
	var err error
	once.(*sync.Once).Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err = ffmpeg(ctx, append(args, path)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// decodeGray returns the frame at t seconds of a file, in grayscale at its own size.
func decodeGray(t testing.TB, path string, at float64, w, h int) []byte {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-ss", fmt.Sprint(at), "-i", path,
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1").Output()
	if err != nil {
		t.Fatalf("decode frame at %vs of %s: %v", at, path, err)
	}
	if len(out) != w*h {
		t.Fatalf("decoded %d bytes, want %d×%d", len(out), w, h)
	}
	return out
}
