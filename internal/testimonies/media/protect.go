package media

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"inoculate/internal/platform/errs"
)

// AudioMode says what happens to the voice in a protected rendition. The zero value removes
// it, so an options value left empty never publishes a voice.
type AudioMode int

const (
	AudioRemove  AudioMode = iota // no audio stream at all
	AudioKeep                     // the original voice, re-encoded (consent must allow it)
	AudioReplace                  // a supplied recording, usually Revoice's synthetic voice
)

func (m AudioMode) String() string {
	switch m {
	case AudioKeep:
		return "keep"
	case AudioReplace:
		return "replace"
	default:
		return "remove"
	}
}

// ExtraBox is a box a reviewer added for a face the detector missed, held from From (inclusive)
// to To (exclusive). Its coordinates are in pixels of the source as displayed.
type ExtraBox struct {
	From, To time.Duration
	Box      Box
}

// ProtectOptions choose how a rendition hides its subject. The zero value fills detected faces
// with the default margin and removes the audio.
type ProtectOptions struct {
	// Blackout makes every frame black (the silhouette/blackout identity level): no face
	// detection is needed and none is trusted.
	Blackout bool
	// Margin is added on every side of a detected face, as a fraction of its size; zero means
	// DefaultMargin. Pigo's square covers eyes to mouth; hair, ears and jaw lie outside it.
	Margin float64
	// MaxGap is how many frames a face stays covered after the detector loses it, and
	// LookBack how many frames before its first detection it is covered too; zero means
	// about half a second of frames for each.
	MaxGap, LookBack int
	// ExtraBoxes are the reviewer's additions, drawn as given (plus no margin).
	ExtraBoxes []ExtraBox
	// Detector finds faces; nil means a PigoDetector. It is called from Workers goroutines
	// at once; zero Workers means one per CPU.
	Detector FaceDetector
	Workers  int

	Audio AudioMode
	// ReplacementAudio is the WAV file used with AudioReplace. It is padded with silence or
	// cut to the video's length.
	ReplacementAudio string

	// MaxWidth and MaxHeight cap the output picture (aspect kept); zero means 1920×1080.
	MaxWidth, MaxHeight int
	// Preset and CRF are passed to x264; empty and zero leave x264's defaults (medium, 23).
	Preset string
	CRF    int
	// Timeout bounds the whole run; zero means ten times the recording's length plus ten
	// minutes.
	Timeout time.Duration
	Tools   Tools
}

// DefaultMargin is the margin added around detected faces when none is given.
const DefaultMargin = 0.3

// Report says what Protect did, for the review screen and the release record.
type Report struct {
	Width, Height int
	FrameRate     Rational
	Frames        int
	Duration      time.Duration // of the output video, frames / rate

	Blackout        bool
	FramesWithFaces int // frames on which at least one box was drawn
	Detections      int // faces the detector found, summed over frames
	CarriedBoxes    int // boxes drawn from a track while the detector missed the face
	LookBackBoxes   int // boxes drawn before a face's first detection
	ManualBoxes     int // boxes drawn from ExtraBoxes, summed over frames
	BoxesDrawn      int // all boxes filled, summed over frames
	Tracks          []TrackSpan

	Audio AudioMode
}

// TrackSpan is one face followed across frames.
type TrackSpan struct {
	Track    int
	From, To time.Duration // first and last frame covered
	Detected int           // frames on which the detector found it
	Carried  int           // frames covered by prediction alone
}

// frame is one decoded picture waiting to be filled and encoded.
type frame struct {
	index    int
	rgb      []byte
	detected []Box
	boxes    []Box
}

// Protect writes a protected rendition of in to out: every frame is decoded, faces are found
// and tracked and filled with opaque black boxes (or the whole frame blacked out), and the
// result is encoded afresh as H.264 and AAC in MP4 with no metadata carried over — nothing of
// the original is stream-copied. progress, when not nil, is called now and then with the
// length of video done and the total.
//
// The output is written beside out under a temporary name and renamed into place only when
// complete, so a failed run leaves nothing at out.
func Protect(ctx context.Context, in, out string, opts ProtectOptions, progress func(done, total time.Duration)) (Report, error) {
	tools := opts.Tools
	info, err := tools.Probe(ctx, in)
	if err != nil {
		return Report{}, fmt.Errorf("media: protect: %w", err)
	}
	video, ok := info.Video()
	if !ok {
		return Report{}, errs.E(errs.Invalid, "the recording has no video to protect")
	}
	rate := video.FrameRate
	if rate.Float() <= 0 || rate.Float() > 240 {
		return Report{}, errs.Ef(errs.Invalid, "the video's frame rate (%s) cannot be used", rate)
	}
	if err := validateExtraBoxes(opts.ExtraBoxes); err != nil {
		return Report{}, err
	}
	if opts.Audio == AudioReplace && opts.ReplacementAudio == "" {
		return Report{}, errs.E(errs.Invalid, "replacement audio was asked for but none was given")
	}
	if opts.Margin < 0 {
		return Report{}, errs.E(errs.Invalid, "the face margin cannot be negative")
	}
	srcW, srcH := video.DisplaySize()
	w, h := fitSize(srcW, srcH, orInt(opts.MaxWidth, 1920), orInt(opts.MaxHeight, 1080))

	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 10*info.Duration + 10*time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	p := &protection{
		opts:     opts,
		w:        w,
		h:        h,
		rate:     rate,
		scaleX:   float64(w) / float64(srcW),
		scaleY:   float64(h) / float64(srcH),
		report:   Report{Width: w, Height: h, FrameRate: rate, Blackout: opts.Blackout, Audio: opts.Audio},
		spans:    map[int]*TrackSpan{},
		progress: progress,
		total:    info.Duration,

		videoIndex: video.Index,
	}
	if _, hasAudio := info.Audio(); opts.Audio == AudioKeep && !hasAudio {
		p.report.Audio = AudioRemove // nothing to keep: say what the file holds
	}
	p.workers = 1
	if !opts.Blackout {
		p.detector = opts.Detector
		if p.detector == nil {
			d, err := NewPigoDetector()
			if err != nil {
				return Report{}, err
			}
			p.detector = d
		}
		halfSecond := max(int(math.Round(rate.Float()/2)), 1)
		p.tracker = NewTracker(orInt(opts.MaxGap, halfSecond))
		p.lookBack = orInt(opts.LookBack, halfSecond)
		p.workers = max(orInt(opts.Workers, runtime.GOMAXPROCS(0)), 1)
		p.margin = opts.Margin
		if p.margin == 0 {
			p.margin = DefaultMargin
		}
	}

	partial, err := partialName(out)
	if err != nil {
		return Report{}, err
	}
	defer os.Remove(partial) // a no-op once renamed
	if err := p.run(ctx, tools, in, partial, info); err != nil {
		return Report{}, fmt.Errorf("media: protect: %w", err)
	}
	if err := os.Rename(partial, out); err != nil {
		return Report{}, fmt.Errorf("media: protect: %w", err)
	}
	p.report.Duration = time.Duration(float64(p.report.Frames) / rate.Float() * float64(time.Second))
	for _, s := range p.spans {
		p.report.Tracks = append(p.report.Tracks, *s)
	}
	slices.SortFunc(p.report.Tracks, func(a, b TrackSpan) int { return a.Track - b.Track })
	if progress != nil {
		progress(p.report.Duration, p.report.Duration)
	}
	return p.report, nil
}

type protection struct {
	opts           ProtectOptions
	w, h           int
	rate           Rational
	scaleX, scaleY float64
	detector       FaceDetector
	tracker        *Tracker
	lookBack       int
	workers        int
	videoIndex     int
	margin         float64
	report         Report
	spans          map[int]*TrackSpan
	progress       func(done, total time.Duration)
	total          time.Duration
	lastProgress   time.Time
}

func (p *protection) run(ctx context.Context, tools Tools, in, partial string, info Info) error {
	inArg, err := inputArg(in)
	if err != nil {
		return err
	}
	outArg, err := inputArg(partial)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	decodeArgs := []string{"-nostdin", "-v", "error", "-hide_banner"}
	decodeArgs = append(decodeArgs, inputGuard...)
	decodeArgs = append(decodeArgs, "-i", inArg, "-map", fmt.Sprintf("0:%d", p.videoIndex), "-an", "-sn", "-dn",
		"-vf", fmt.Sprintf("fps=%s,scale=%d:%d:flags=bicubic,setsar=1", p.rate, p.w, p.h),
		"-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1")
	decoder := exec.CommandContext(ctx, tools.ffmpeg(), decodeArgs...)
	var decodeErr, encodeErr tailBuffer
	decoder.Stderr = &decodeErr
	decoder.WaitDelay = 5 * time.Second
	frames, err := decoder.StdoutPipe()
	if err != nil {
		return err
	}

	encodeArgs, err := p.encodeArgs(inArg, outArg, info)
	if err != nil {
		return err
	}
	encoder := exec.CommandContext(ctx, tools.ffmpeg(), encodeArgs...)
	encoder.Stderr = &encodeErr
	encoder.WaitDelay = 5 * time.Second
	toEncoder, err := encoder.StdinPipe()
	if err != nil {
		return err
	}

	if err := decoder.Start(); err != nil {
		return commandError("ffmpeg (decode)", err, nil)
	}
	if err := encoder.Start(); err != nil {
		cancel()
		decoder.Wait()
		return commandError("ffmpeg (encode)", err, nil)
	}

	loopErr := p.loop(bufio.NewReaderSize(frames, 1<<20), toEncoder)
	if loopErr != nil {
		cancel() // stop both; their own errors would only echo this one
	}
	closeErr := toEncoder.Close()
	decodeWait := decoder.Wait()
	encodeWait := encoder.Wait()
	switch {
	case loopErr != nil:
		return loopErr
	case decodeWait != nil:
		return commandError("ffmpeg (decode)", decodeWait, decodeErr.Bytes())
	case encodeWait != nil:
		return commandError("ffmpeg (encode)", encodeWait, encodeErr.Bytes())
	case closeErr != nil:
		return closeErr
	case ctx.Err() != nil:
		return ctx.Err()
	case p.report.Frames == 0:
		return errors.New("no frames decoded")
	}
	return nil
}

// encodeArgs builds the encoder's command line: raw frames on standard input, the audio from
// the original or a replacement, everything encoded anew and no metadata, chapters or encoder
// identification written.
func (p *protection) encodeArgs(inArg, outArg string, info Info) ([]string, error) {
	args := []string{"-nostdin", "-v", "error", "-hide_banner", "-y",
		"-f", "rawvideo", "-pix_fmt", "rgb24", "-s", fmt.Sprintf("%dx%d", p.w, p.h),
		"-framerate", p.rate.String(), "-i", "pipe:0"}
	audio := false
	switch p.opts.Audio {
	case AudioKeep:
		if _, ok := info.Audio(); ok {
			args = append(args, inputGuard...)
			args = append(args, "-i", inArg)
			audio = true
		}
	case AudioReplace:
		wav, err := inputArg(p.opts.ReplacementAudio)
		if err != nil {
			return nil, err
		}
		args = append(args, "-protocol_whitelist", "file", "-format_whitelist", "wav", "-i", wav)
		audio = true
	}
	args = append(args, "-map", "0:v:0")
	if audio {
		args = append(args, "-map", "1:a:0", "-c:a", "aac", "-b:a", "128k")
		if p.opts.Audio == AudioReplace {
			// Pad a short voice with silence; -shortest then ends with the picture.
			args = append(args, "-af", "apad", "-shortest")
		}
	} else {
		args = append(args, "-an")
	}
	args = append(args, "-sn", "-dn", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	if p.opts.Preset != "" {
		args = append(args, "-preset", p.opts.Preset)
	}
	if p.opts.CRF > 0 {
		args = append(args, "-crf", strconv.Itoa(p.opts.CRF))
	}
	args = append(args,
		// x264 writes its version and every setting into an SEI message (NAL type 6) of the
		// stream; nothing in these files needs SEI, so all of it goes.
		"-bsf:v", "filter_units=remove_types=6",
		"-map_metadata", "-1", "-map_chapters", "-1",
		"-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
		"-movflags", "+faststart",
		"-f", "mp4", outArg)
	return args, nil
}

// loop reads frames, finds and fills faces and writes the frames on. Frames are read in
// batches whose faces are detected in parallel, then tracked in order; they wait in a queue of
// LookBack frames so that a face first found now is also covered on the frames just before.
func (p *protection) loop(frames io.Reader, toEncoder io.Writer) error {
	size := p.w * p.h * 3
	workers := p.workers
	var queue []*frame
	var spare [][]byte
	grays := make([]*image.Gray, workers)
	for i := range grays {
		grays[i] = image.NewGray(image.Rect(0, 0, p.w, p.h))
	}
	for index, done := 0, false; !done; {
		batch := make([]*frame, 0, workers)
		for len(batch) < workers {
			var buf []byte
			if n := len(spare); n > 0 {
				buf, spare = spare[n-1], spare[:n-1]
			} else {
				buf = make([]byte, size)
			}
			if _, err := io.ReadFull(frames, buf); err != nil {
				if errors.Is(err, io.EOF) {
					done = true
					break
				}
				if errors.Is(err, io.ErrUnexpectedEOF) {
					return errors.New("decoder stopped inside a frame")
				}
				return fmt.Errorf("read frame: %w", err)
			}
			batch = append(batch, &frame{index: index, rgb: buf})
			index++
		}
		if !p.opts.Blackout {
			var wg sync.WaitGroup
			for i, f := range batch {
				wg.Go(func() {
					rgbToGray(f.rgb, grays[i].Pix)
					f.detected = p.detector.Detect(grays[i])
				})
			}
			wg.Wait()
		}
		for _, f := range batch {
			if !p.opts.Blackout {
				p.track(f, queue)
			}
			queue = append(queue, f)
			if len(queue) > p.lookBack {
				if err := p.emit(queue[0], toEncoder); err != nil {
					return err
				}
				spare = append(spare, queue[0].rgb)
				queue = queue[1:]
			}
			p.report.Frames++
			p.tick(f.index)
		}
	}
	for _, f := range queue {
		if err := p.emit(f, toEncoder); err != nil {
			return err
		}
	}
	return nil
}

// track turns a frame's detections into boxes to fill, on it and, for a face seen for the
// first time, on the queued frames before it: the detector often finds a face a few frames
// after it comes into view.
func (p *protection) track(f *frame, queue []*frame) {
	p.report.Detections += len(f.detected)
	for _, tb := range p.tracker.Update(f.detected) {
		box := tb.Grow(p.margin)
		f.boxes = append(f.boxes, box)
		p.noteSpan(tb, f.index)
		if tb.Carried {
			p.report.CarriedBoxes++
		}
		if tb.New {
			for _, q := range queue {
				q.boxes = append(q.boxes, box)
				p.report.LookBackBoxes++
			}
		}
	}
}

// emit fills a frame's boxes (and the reviewer's) and sends it to the encoder.
func (p *protection) emit(f *frame, toEncoder io.Writer) error {
	if p.opts.Blackout {
		clear(f.rgb)
	} else {
		at := p.frameTime(f.index)
		for _, extra := range p.opts.ExtraBoxes {
			if at >= extra.From && at < extra.To {
				f.boxes = append(f.boxes, extra.Box.scale(p.scaleX, p.scaleY))
				p.report.ManualBoxes++
			}
		}
		for _, b := range f.boxes {
			fillBlack(f.rgb, p.w, p.h, b)
		}
		if len(f.boxes) > 0 {
			p.report.FramesWithFaces++
			p.report.BoxesDrawn += len(f.boxes)
		}
	}
	if _, err := toEncoder.Write(f.rgb); err != nil {
		return fmt.Errorf("write frame to encoder: %w", err)
	}
	return nil
}

func (p *protection) frameTime(index int) time.Duration {
	return time.Duration(float64(index) / p.rate.Float() * float64(time.Second))
}

func (p *protection) noteSpan(tb TrackedBox, index int) {
	s, ok := p.spans[tb.Track]
	if !ok {
		s = &TrackSpan{Track: tb.Track, From: p.frameTime(index)}
		p.spans[tb.Track] = s
	}
	s.To = p.frameTime(index)
	if tb.Carried {
		s.Carried++
	} else {
		s.Detected++
	}
}

// tick reports progress at most twice a second: a caller may store it.
func (p *protection) tick(index int) {
	if p.progress == nil || time.Since(p.lastProgress) < 500*time.Millisecond {
		return
	}
	p.lastProgress = time.Now()
	p.progress(p.frameTime(index+1), p.total)
}

// fillBlack paints a box, clipped to the frame, opaque black in a packed RGB frame.
func fillBlack(rgb []byte, w, h int, b Box) {
	r := b.Rect().Intersect(image.Rect(0, 0, w, h))
	if r.Empty() {
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		clear(rgb[(y*w+r.Min.X)*3 : (y*w+r.Max.X)*3])
	}
}

// rgbToGray computes luma (BT.601 weights, as pigo's own conversion) into gray.
func rgbToGray(rgb, gray []byte) {
	for i, j := 0, 0; j < len(gray); i, j = i+3, j+1 {
		gray[j] = uint8((19595*uint32(rgb[i]) + 38470*uint32(rgb[i+1]) + 7471*uint32(rgb[i+2]) + 1<<15) >> 16)
	}
}

// fitSize scales w×h down to fit maxW×maxH, keeping the aspect, to even numbers (H.264 in
// 4:2:0 needs them).
func fitSize(w, h, maxW, maxH int) (int, int) {
	f := math.Min(1, math.Min(float64(maxW)/float64(w), float64(maxH)/float64(h)))
	even := func(v float64) int { return max(2, int(v)/2*2) }
	return even(float64(w) * f), even(float64(h) * f)
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func validateExtraBoxes(boxes []ExtraBox) error {
	for i, b := range boxes {
		if b.To <= b.From || b.From < 0 {
			return errs.Ef(errs.Invalid, "added box %d: its end must come after its start", i+1)
		}
		if b.Box.W <= 0 || b.Box.H <= 0 {
			return errs.Ef(errs.Invalid, "added box %d: it has no area", i+1)
		}
	}
	return nil
}

// partialName is where the output is written until it is complete: in out's directory, so
// the final rename cannot cross file systems.
func partialName(out string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.partial")
	if err != nil {
		return "", fmt.Errorf("media: protect: %w", err)
	}
	name := f.Name()
	f.Close()
	return name, nil
}

// tailBuffer keeps the last few kilobytes written to it: ffmpeg's standard error can be long,
// and the end says what went wrong.
type tailBuffer struct{ b []byte }

const tailMax = 8 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > tailMax {
		t.b = append(t.b[:0], t.b[len(t.b)-tailMax:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte { return t.b }
