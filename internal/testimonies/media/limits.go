package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"inoculate/internal/platform/errs"
)

// Limits bound what a recording may be. A zero field is not checked.
type Limits struct {
	MaxBytes    int64
	MaxDuration time.Duration
	MaxPixels   int     // width × height of any video stream
	MaxFPS      float64 // average frame rate of any video stream
}

// DefaultLimits fit a long testimony filmed on a phone: 8 GiB, three hours, 4K, 120 fps.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 8 << 30, MaxDuration: 3 * time.Hour, MaxPixels: 3840 * 2160, MaxFPS: 120}
}

// CheckLimits refuses a recording outside the limits, or one whose size or duration cannot be
// told (a file without a known duration could decode for ever). The error is Invalid and says
// in plain words what is wrong.
func CheckLimits(info Info, l Limits) error {
	if len(info.Streams) == 0 {
		return errs.E(errs.Invalid, "the file holds no audio or video")
	}
	if _, hasVideo := info.Video(); !hasVideo {
		if _, hasAudio := info.Audio(); !hasAudio {
			return errs.E(errs.Invalid, "the file holds no audio or video")
		}
	}
	if l.MaxBytes > 0 && info.Size > l.MaxBytes {
		return errs.Ef(errs.Invalid, "the file is %s; the limit is %s", byteSize(info.Size), byteSize(l.MaxBytes))
	}
	if l.MaxDuration > 0 {
		if info.Duration <= 0 {
			return errs.E(errs.Invalid, "the recording's length cannot be read; export it again from the camera or editor")
		}
		if info.Duration > l.MaxDuration {
			return errs.Ef(errs.Invalid, "the recording is %s long; the limit is %s", info.Duration.Round(time.Second), l.MaxDuration)
		}
	}
	for _, s := range info.Streams {
		if s.Type != "video" {
			continue
		}
		if l.MaxPixels > 0 && s.Width*s.Height > l.MaxPixels {
			return errs.Ef(errs.Invalid, "the picture is %d×%d pixels; the limit is %d pixels in all", s.Width, s.Height, l.MaxPixels)
		}
		if l.MaxFPS > 0 && s.FrameRate.Float() > l.MaxFPS {
			return errs.Ef(errs.Invalid, "the video has %.0f frames per second; the limit is %.0f", s.FrameRate.Float(), l.MaxFPS)
		}
	}
	return nil
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// Inspect is the capture check of an uploaded file: its kind from its first bytes, ffprobe's
// report, agreement between the two, and the limits. The size limit is checked on the file
// itself before ffprobe opens it.
func Inspect(ctx context.Context, path string, l Limits) (kind string, info Info, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", Info{}, fmt.Errorf("media: inspect: %w", err)
	}
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(f, head)
	st, statErr := f.Stat()
	f.Close()
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", Info{}, fmt.Errorf("media: inspect: %w", err)
	}
	if statErr != nil {
		return "", Info{}, fmt.Errorf("media: inspect: %w", statErr)
	}
	if l.MaxBytes > 0 && st.Size() > l.MaxBytes {
		return "", Info{}, errs.Ef(errs.Invalid, "the file is %s; the limit is %s", byteSize(st.Size()), byteSize(l.MaxBytes))
	}
	kind, ok := Sniff(head[:n])
	if !ok {
		return "", Info{}, errs.E(errs.Invalid, "the file is not a recording this tool accepts (MP4, MOV, M4A, WebM, MKV, WAV, MP3, Ogg or FLAC)")
	}
	info, err = Probe(ctx, path)
	if err != nil && (errors.Is(err, exec.ErrNotFound) || ctx.Err() != nil) {
		return "", Info{}, fmt.Errorf("media: inspect: %w", err)
	}
	if err != nil {
		// A file ffprobe cannot read is the uploader's problem to fix, not ours.
		return "", Info{}, &errs.Error{Kind: errs.Invalid, Msg: "the recording cannot be read; it may be damaged", Err: err}
	}
	if !kindMatchesFormat(kind, info.FormatName) {
		return "", Info{}, errs.Ef(errs.Invalid, "the file starts like %s but does not read as one", kind)
	}
	if err := CheckLimits(info, l); err != nil {
		return "", Info{}, err
	}
	return kind, info, nil
}
