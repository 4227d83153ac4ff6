package media

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Info is what ffprobe reports about a recording.
type Info struct {
	FormatName string // ffprobe's demuxer names, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
	Duration   time.Duration
	Size       int64 // bytes, as ffprobe saw the file
	BitRate    int64
	Tags       map[string]string // container tags, keys as written
	Streams    []Stream
}

// Stream is one elementary stream of a recording.
type Stream struct {
	Index      int
	Type       string // "video", "audio", "subtitle", "data", "attachment"
	Codec      string
	Width      int
	Height     int
	FrameRate  Rational // average frame rate; zero when unknown
	Rotation   int      // degrees the picture is turned on display (phones record sideways)
	Channels   int
	SampleRate int
	Duration   time.Duration
	// AttachedPicture marks cover art stored as a one-frame "video" stream.
	AttachedPicture bool
	Tags            map[string]string
}

// Rational is an exact frame rate such as 30000/1001.
type Rational struct{ Num, Den int64 }

// Float is the rate as a number; zero when unknown.
func (r Rational) Float() float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

func (r Rational) String() string { return fmt.Sprintf("%d/%d", r.Num, r.Den) }

// Video returns the first video stream that is a real picture track, not cover art.
func (i Info) Video() (Stream, bool) {
	for _, s := range i.Streams {
		if s.Type == "video" && s.Width > 0 && s.Height > 0 && !s.AttachedPicture {
			return s, true
		}
	}
	return Stream{}, false
}

// Audio returns the first audio stream.
func (i Info) Audio() (Stream, bool) {
	for _, s := range i.Streams {
		if s.Type == "audio" {
			return s, true
		}
	}
	return Stream{}, false
}

// DisplaySize is the picture size after rotation, which is what decoding produces.
func (s Stream) DisplaySize() (w, h int) {
	if s.Rotation%180 != 0 {
		return s.Height, s.Width
	}
	return s.Width, s.Height
}

// Probe runs ffprobe on a local file. Only local files of the accepted container formats are
// opened, whatever the file claims to reference.
func Probe(ctx context.Context, path string) (Info, error) {
	return Tools{}.Probe(ctx, path)
}

// Probe is the package-level Probe with these tools.
func (t Tools) Probe(ctx context.Context, path string) (Info, error) {
	in, err := inputArg(path)
	if err != nil {
		return Info{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	args := []string{"-v", "error", "-hide_banner"}
	args = append(args, inputGuard...)
	args = append(args, "-print_format", "json=compact=1", "-show_format", "-show_streams", in)
	out, err := runCapture(ctx, t.ffprobe(), args...)
	if err != nil {
		return Info{}, fmt.Errorf("media: probe: %w", err)
	}
	info, err := ParseProbe(out)
	if err != nil {
		return Info{}, fmt.Errorf("media: probe: %w", err)
	}
	return info, nil
}

// maxProbeDuration rejects absurd durations before they overflow time.Duration.
const maxProbeDuration = 1000 * time.Hour

// maxStreams bounds how many streams a report may list; real recordings have a handful.
const maxStreams = 64

type probeJSON struct {
	Format struct {
		FormatName string            `json:"format_name"`
		Duration   string            `json:"duration"`
		Size       string            `json:"size"`
		BitRate    string            `json:"bit_rate"`
		Tags       map[string]string `json:"tags"`
	} `json:"format"`
	Streams []struct {
		Index        int               `json:"index"`
		CodecType    string            `json:"codec_type"`
		CodecName    string            `json:"codec_name"`
		Width        int               `json:"width"`
		Height       int               `json:"height"`
		AvgFrameRate string            `json:"avg_frame_rate"`
		RFrameRate   string            `json:"r_frame_rate"`
		Channels     int               `json:"channels"`
		SampleRate   string            `json:"sample_rate"`
		Duration     string            `json:"duration"`
		Tags         map[string]string `json:"tags"`
		Disposition  struct {
			AttachedPic int `json:"attached_pic"`
		} `json:"disposition"`
		SideData []struct {
			Rotation *float64 `json:"rotation"`
		} `json:"side_data_list"`
	} `json:"streams"`
}

// ParseProbe reads ffprobe's JSON (-show_format -show_streams). Numbers that ffprobe prints as
// text are checked: a negative, non-finite or absurd value is an error, never a silent zero,
// because the limits are checked against them.
func ParseProbe(data []byte) (Info, error) {
	var raw probeJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return Info{}, fmt.Errorf("ffprobe output: %w", err)
	}
	if len(raw.Streams) > maxStreams {
		return Info{}, fmt.Errorf("ffprobe output: %d streams (at most %d)", len(raw.Streams), maxStreams)
	}
	var info Info
	var err error
	info.FormatName = raw.Format.FormatName
	info.Tags = raw.Format.Tags
	if info.Duration, err = parseSeconds(raw.Format.Duration); err != nil {
		return Info{}, fmt.Errorf("ffprobe output: format duration: %w", err)
	}
	if info.Size, err = parseCount(raw.Format.Size); err != nil {
		return Info{}, fmt.Errorf("ffprobe output: size: %w", err)
	}
	if info.BitRate, err = parseCount(raw.Format.BitRate); err != nil {
		return Info{}, fmt.Errorf("ffprobe output: bit rate: %w", err)
	}
	for _, rs := range raw.Streams {
		s := Stream{
			Index:    rs.Index,
			Type:     rs.CodecType,
			Codec:    rs.CodecName,
			Width:    rs.Width,
			Height:   rs.Height,
			Channels: rs.Channels,
			Tags:     rs.Tags,

			AttachedPicture: rs.Disposition.AttachedPic != 0,
		}
		if s.Width < 0 || s.Height < 0 || s.Channels < 0 || s.Index < 0 {
			return Info{}, fmt.Errorf("ffprobe output: stream %d: negative size, channels or index", rs.Index)
		}
		if s.Width > 1<<16 || s.Height > 1<<16 {
			return Info{}, fmt.Errorf("ffprobe output: stream %d: picture %dx%d is too large", rs.Index, s.Width, s.Height)
		}
		rate := rs.AvgFrameRate
		if rate == "" || rate == "0/0" {
			rate = rs.RFrameRate
		}
		if s.FrameRate, err = parseRational(rate); err != nil {
			return Info{}, fmt.Errorf("ffprobe output: stream %d frame rate: %w", rs.Index, err)
		}
		sampleRate, err := parseCount(rs.SampleRate)
		if err != nil || sampleRate > 10_000_000 {
			return Info{}, fmt.Errorf("ffprobe output: stream %d sample rate %q", rs.Index, rs.SampleRate)
		}
		s.SampleRate = int(sampleRate)
		if s.Duration, err = parseSeconds(rs.Duration); err != nil {
			return Info{}, fmt.Errorf("ffprobe output: stream %d duration: %w", rs.Index, err)
		}
		for _, sd := range rs.SideData {
			if sd.Rotation == nil {
				continue
			}
			r := *sd.Rotation
			if math.IsNaN(r) || math.IsInf(r, 0) || math.Abs(r) > 3600 {
				return Info{}, fmt.Errorf("ffprobe output: stream %d rotation %v", rs.Index, r)
			}
			s.Rotation = ((int(math.Round(r))%360 + 360) % 360)
		}
		if s.Rotation == 0 {
			if r, ok := s.Tags["rotate"]; ok {
				deg, err := strconv.Atoi(r)
				if err != nil || deg < -3600 || deg > 3600 {
					return Info{}, fmt.Errorf("ffprobe output: stream %d rotate tag %q", rs.Index, r)
				}
				s.Rotation = (deg%360 + 360) % 360
			}
		}
		info.Streams = append(info.Streams, s)
	}
	return info, nil
}

// parseSeconds reads ffprobe's "12.345000"; empty and "N/A" mean unknown (zero).
func parseSeconds(s string) (time.Duration, error) {
	if s == "" || s == "N/A" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number of seconds", s)
	}
	if math.IsNaN(f) || f < 0 || f > maxProbeDuration.Seconds() {
		return 0, fmt.Errorf("%q seconds is out of range", s)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// parseCount reads a non-negative integer printed as text; empty and "N/A" mean unknown.
func parseCount(s string) (int64, error) {
	if s == "" || s == "N/A" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a count", s)
	}
	return n, nil
}

var errBadRational = errors.New("not a rational number")

// parseRational reads "30000/1001"; "0/0" (ffprobe's unknown) is the zero Rational.
func parseRational(s string) (Rational, error) {
	if s == "" || s == "N/A" {
		return Rational{}, nil
	}
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		den = "1"
	}
	n, err1 := strconv.ParseInt(num, 10, 64)
	d, err2 := strconv.ParseInt(den, 10, 64)
	if err1 != nil || err2 != nil || n < 0 || d < 0 || n > 1<<31 || d > 1<<31 {
		return Rational{}, fmt.Errorf("%q: %w", s, errBadRational)
	}
	if n == 0 || d == 0 {
		return Rational{}, nil
	}
	return Rational{n, d}, nil
}
