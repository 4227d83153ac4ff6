package media

// Tracker follows faces from frame to frame so that a face the detector misses for a few
// frames (turned head, motion blur, a hand in front) stays covered. Each detection either
// continues the track it overlaps most or starts a new one; a track that finds no detection
// keeps its last box, moved on at its last speed, for up to MaxGap frames.
type Tracker struct {
	// MaxGap is how many frames in a row a track survives without a detection.
	MaxGap int
	// MinIoU is the overlap a detection needs with a track's predicted box to continue it.
	MinIoU float64

	tracks []*track
	nextID int
}

type track struct {
	id     int
	box    Box // last detected box
	vx, vy float64
	missed int // frames since the last detection
}

// TrackedBox is a box the tracker gives out for a frame.
type TrackedBox struct {
	Box
	Track   int  // track number, stable across frames
	Carried bool // no detection on this frame: the box is the track's prediction
	New     bool // the track starts on this frame
}

// NewTracker returns a tracker that carries a box through maxGap missed frames.
func NewTracker(maxGap int) *Tracker {
	return &Tracker{MaxGap: maxGap, MinIoU: 0.2}
}

// Update takes the detections of the next frame (one call per frame, in order)
// and returns the boxes to cover on it: every detection, plus the predicted box of every track
// that missed this frame but is still within its gap.
func (t *Tracker) Update(detections []Box) []TrackedBox {
	matched := make([]bool, len(t.tracks))
	var out []TrackedBox
	for _, d := range detections {
		best, bestIoU := -1, t.MinIoU
		for i, tr := range t.tracks {
			if matched[i] {
				continue
			}
			if iou := d.IoU(tr.predict(tr.missed + 1)); iou >= bestIoU {
				best, bestIoU = i, iou
			}
		}
		if best < 0 {
			t.nextID++
			tr := &track{id: t.nextID, box: d}
			t.tracks = append(t.tracks, tr)
			matched = append(matched, true)
			out = append(out, TrackedBox{Box: d, Track: tr.id, New: true})
			continue
		}
		tr := t.tracks[best]
		matched[best] = true
		steps := float64(tr.missed + 1)
		// Smooth the speed so one jittery detection does not throw the prediction.
		tr.vx = 0.5*tr.vx + 0.5*float64(d.X+d.W/2-tr.box.X-tr.box.W/2)/steps
		tr.vy = 0.5*tr.vy + 0.5*float64(d.Y+d.H/2-tr.box.Y-tr.box.H/2)/steps
		tr.box, tr.missed = d, 0
		out = append(out, TrackedBox{Box: d, Track: tr.id})
	}
	kept := t.tracks[:0]
	for i, tr := range t.tracks {
		if !matched[i] {
			tr.missed++
			if tr.missed > t.MaxGap {
				continue
			}
			out = append(out, TrackedBox{Box: tr.predict(tr.missed), Track: tr.id, Carried: true})
		}
		kept = append(kept, tr)
	}
	t.tracks = kept
	return out
}

// predict is where the track's face should be steps frames after its last detection, at its
// last speed. The box grows a little per frame beyond the first, since the guess gets less sure.
func (tr *track) predict(steps int) Box {
	b := tr.box
	b.X += int(tr.vx * float64(steps))
	b.Y += int(tr.vy * float64(steps))
	if steps > 1 {
		b = b.Grow(0.05 * float64(steps-1))
	}
	return b
}
