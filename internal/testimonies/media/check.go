package media

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"
)

// MetadataAllowlist says which metadata a released file may carry: each tag name maps to the
// exact values allowed. Anything else — a title, a location, a device, a date, an encoder
// name — is a finding.
type MetadataAllowlist struct {
	Tags map[string][]string
}

// DefaultAllowlist holds only what Protect's MP4 output carries by construction: the brand
// boxes, the generic handler names and the undefined language.
func DefaultAllowlist() MetadataAllowlist {
	return MetadataAllowlist{Tags: map[string][]string{
		"major_brand":       {"isom"},
		"minor_version":     {"512"},
		"compatible_brands": {"isomiso2avc1mp41", "isomiso2mp41", "isomiso2"},
		"handler_name":      {"VideoHandler", "SoundHandler"},
		"vendor_id":         {"[0][0][0][0]"},
		// The MP4 sample description names the compressor; in bitexact mode FFmpeg writes it
		// without a version, the same for every rendition.
		"encoder":  {"Lavc libx264"},
		"language": {"und"},
	}}
}

func (a MetadataAllowlist) allows(key, value string) bool {
	return slices.Contains(a.Tags[key], value)
}

// Findings are what the release gate's automated check found on a file; an empty Findings
// (Clean) is the only passing result.
type Findings struct {
	Metadata      []MetadataFinding
	Faces         []FaceFinding
	Problems      []string // streams, chapters or encoder fingerprints that should not be there
	FramesChecked int
}

// Clean reports whether nothing was found.
func (f Findings) Clean() bool {
	return len(f.Metadata) == 0 && len(f.Faces) == 0 && len(f.Problems) == 0
}

// MetadataFinding is a tag not on the allowlist.
type MetadataFinding struct {
	Where string // "format", "stream 0 (video)", "chapter 2"
	Key   string
	Value string
}

// FaceFinding is a face seen on a sampled frame of the output.
type FaceFinding struct {
	At  time.Duration
	Box Box
}

// checkTimeout bounds the face scan: a long file is sampled, not played.
const checkTimeout = 30 * time.Minute

// CheckOutput examines the exact file to be released: every container, stream, chapter and
// program tag not on the allowlist, any stream other than one video and one audio, encoder
// version strings anywhere in the bytes, and faces found by det on frames sampled every
// sampleEvery (every frame when zero or less). A face on a protected rendition was left
// unfilled. det is called from several goroutines at once; NewPigoCheckDetector is meant for
// it, and nil skips the face check.
func CheckOutput(ctx context.Context, path string, allow MetadataAllowlist, det FaceDetector, sampleEvery time.Duration) (Findings, error) {
	return Tools{}.CheckOutput(ctx, path, allow, det, sampleEvery)
}

// CheckOutput is the package-level CheckOutput with these tools.
func (t Tools) CheckOutput(ctx context.Context, path string, allow MetadataAllowlist, det FaceDetector, sampleEvery time.Duration) (Findings, error) {
	var f Findings
	if err := t.checkMetadata(ctx, path, allow, &f); err != nil {
		return Findings{}, fmt.Errorf("media: check output: %w", err)
	}
	if err := scanFingerprints(path, &f); err != nil {
		return Findings{}, fmt.Errorf("media: check output: %w", err)
	}
	if det != nil {
		if err := t.checkFaces(ctx, path, det, sampleEvery, &f); err != nil {
			return Findings{}, fmt.Errorf("media: check output: %w", err)
		}
	}
	return f, nil
}

type checkJSON struct {
	Format struct {
		Tags map[string]string `json:"tags"`
	} `json:"format"`
	Streams []struct {
		Index       int               `json:"index"`
		CodecType   string            `json:"codec_type"`
		CodecName   string            `json:"codec_name"`
		Tags        map[string]string `json:"tags"`
		Disposition struct {
			AttachedPic int `json:"attached_pic"`
		} `json:"disposition"`
	} `json:"streams"`
	Chapters []struct {
		ID   int64             `json:"id"`
		Tags map[string]string `json:"tags"`
	} `json:"chapters"`
	Programs []struct {
		ProgramID int               `json:"program_id"`
		Tags      map[string]string `json:"tags"`
	} `json:"programs"`
}

func (t Tools) checkMetadata(ctx context.Context, path string, allow MetadataAllowlist, f *Findings) error {
	in, err := inputArg(path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	args := []string{"-v", "error", "-hide_banner"}
	args = append(args, inputGuard...)
	args = append(args, "-print_format", "json=compact=1",
		"-show_format", "-show_streams", "-show_chapters", "-show_programs", in)
	out, err := runCapture(ctx, t.ffprobe(), args...)
	if err != nil {
		return err
	}
	var raw checkJSON
	if err := json.Unmarshal(out, &raw); err != nil {
		return fmt.Errorf("ffprobe output: %w", err)
	}
	tags := func(where string, m map[string]string) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !allow.allows(k, m[k]) {
				f.Metadata = append(f.Metadata, MetadataFinding{Where: where, Key: k, Value: m[k]})
			}
		}
	}
	tags("format", raw.Format.Tags)
	videos, audios := 0, 0
	for _, s := range raw.Streams {
		where := fmt.Sprintf("stream %d (%s)", s.Index, s.CodecType)
		tags(where, s.Tags)
		switch {
		case s.Disposition.AttachedPic != 0:
			// Cover art is a picture nobody reviewed frame by frame.
			f.Problems = append(f.Problems, fmt.Sprintf("%s: an attached picture should not be in a released file", where))
		case s.CodecType == "video":
			videos++
		case s.CodecType == "audio":
			audios++
		default:
			f.Problems = append(f.Problems, fmt.Sprintf("%s: a %s stream (%s) should not be in a released file", where, s.CodecType, s.CodecName))
		}
	}
	if videos > 1 || audios > 1 {
		f.Problems = append(f.Problems, fmt.Sprintf("%d video and %d audio streams; a rendition has at most one of each", videos, audios))
	}
	for _, c := range raw.Chapters {
		f.Problems = append(f.Problems, fmt.Sprintf("chapter %d: chapters should not be in a released file", c.ID))
		tags(fmt.Sprintf("chapter %d", c.ID), c.Tags)
	}
	for _, p := range raw.Programs {
		tags(fmt.Sprintf("program %d", p.ProgramID), p.Tags)
	}
	return nil
}

// encoderFingerprint matches the version strings FFmpeg's libraries and x264 leave in files
// (in a udta box, or x264's settings SEI), which tags alone do not show. The patterns are long
// enough that compressed data matching by chance is negligible.
var encoderFingerprint = regexp.MustCompile(`Lav[fc][0-9]{2}\.[0-9]{1,3}\.[0-9]{3}|x264 - core [0-9]+|HandBrake [0-9]`)

// scanFingerprints reads the whole file in overlapping chunks looking for encoder strings.
func scanFingerprints(path string, f *Findings) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	const chunk, overlap = 1 << 20, 64
	buf := make([]byte, chunk+overlap)
	kept := 0
	seen := map[string]bool{}
	for {
		n, err := io.ReadFull(file, buf[kept:])
		data := buf[:kept+n]
		for _, m := range encoderFingerprint.FindAll(data, -1) {
			if !seen[string(m)] {
				seen[string(m)] = true
				f.Problems = append(f.Problems, fmt.Sprintf("encoder identification %q in the file's bytes", m))
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil
			}
			return err
		}
		kept = copy(buf, data[len(data)-overlap:])
	}
}

// checkFaces decodes sampled frames in grayscale and runs the detector on each.
func (t Tools) checkFaces(ctx context.Context, path string, det FaceDetector, every time.Duration, f *Findings) error {
	info, err := t.Probe(ctx, path)
	if err != nil {
		return err
	}
	video, ok := info.Video()
	if !ok {
		return nil // no picture, no face
	}
	srcW, srcH := video.DisplaySize()
	w, h := fitSize(srcW, srcH, 1920, 1080)
	in, err := inputArg(path)
	if err != nil {
		return err
	}
	filter := fmt.Sprintf("scale=%d:%d:flags=bicubic", w, h)
	if every > 0 {
		filter = fmt.Sprintf("fps=1000000/%d,", every.Microseconds()) + filter
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	args := []string{"-nostdin", "-v", "error", "-hide_banner"}
	args = append(args, inputGuard...)
	args = append(args, "-i", in, "-map", fmt.Sprintf("0:%d", video.Index), "-an", "-sn", "-dn",
		"-vf", filter, "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1")
	cmd := exec.CommandContext(ctx, t.ffmpeg(), args...)
	var stderr tailBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	frames, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return commandError("ffmpeg", err, nil)
	}
	r := bufio.NewReaderSize(frames, 1<<20)
	var readErr error
	rate := video.FrameRate.Float()
	workers := runtime.GOMAXPROCS(0)
	for i, done := 0, false; !done; {
		// Read a batch, detect on its frames in parallel, report in frame order.
		var batch []*image.Gray
		for len(batch) < workers {
			img := image.NewGray(image.Rect(0, 0, w, h))
			if _, err := io.ReadFull(r, img.Pix); err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = fmt.Errorf("read frame: %w", err)
				}
				done = true
				break
			}
			batch = append(batch, img)
		}
		found := make([][]Box, len(batch))
		var wg sync.WaitGroup
		for j, img := range batch {
			wg.Go(func() { found[j] = det.Detect(img) })
		}
		wg.Wait()
		for _, boxes := range found {
			at := every * time.Duration(i)
			if every <= 0 && rate > 0 {
				at = time.Duration(float64(i) / rate * float64(time.Second))
			}
			for _, b := range boxes {
				f.Faces = append(f.Faces, FaceFinding{At: at, Box: b.scale(float64(srcW)/float64(w), float64(srcH)/float64(h))})
			}
			f.FramesChecked++
			i++
		}
	}
	if readErr != nil {
		cancel()
	}
	waitErr := cmd.Wait()
	switch {
	case readErr != nil:
		return readErr
	case waitErr != nil:
		return commandError("ffmpeg", waitErr, stderr.Bytes())
	case f.FramesChecked == 0:
		// A picture that cannot be decoded cannot be shown to be free of faces.
		f.Problems = append(f.Problems, "the video stream yielded no frames to check")
	}
	return nil
}
