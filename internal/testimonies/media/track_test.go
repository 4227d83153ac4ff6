package media

import "testing"

// TestTrackerCarriesThroughGaps: a face moving right is detected on some frames only; every
// frame within MaxGap of a detection still gets a box near the face, and a track lost for
// longer is dropped.
func TestTrackerCarriesThroughGaps(t *testing.T) {
	tr := NewTracker(3)
	faceAt := func(frame int) Box { return Box{X: 100 + 10*frame, Y: 50, W: 100, H: 100} }
	detectedOn := map[int]bool{0: true, 1: true, 2: true, 5: true, 6: true} // 3, 4 missed; lost after 6
	for frame := 0; frame < 12; frame++ {
		var dets []Box
		if detectedOn[frame] {
			dets = []Box{faceAt(frame)}
		}
		out := tr.Update(dets)
		switch {
		case frame <= 9:
			if len(out) != 1 {
				t.Fatalf("frame %d: %d boxes, want 1", frame, len(out))
			}
			b := out[0]
			if b.Carried == detectedOn[frame] {
				t.Errorf("frame %d: carried = %v", frame, b.Carried)
			}
			if b.Track != 1 {
				t.Errorf("frame %d: track %d; the face kept one track through the gap", frame, b.Track)
			}
			if b.New != (frame == 0) {
				t.Errorf("frame %d: new = %v", frame, b.New)
			}
			// The prediction follows the motion: the true face lies mostly inside the box.
			if iou := b.IoU(faceAt(frame)); iou < 0.6 {
				t.Errorf("frame %d: box %+v covers the face %+v poorly (IoU %.2f)", frame, b.Box, faceAt(frame), iou)
			}
		default: // more than 3 frames after the last detection on frame 6
			if len(out) != 0 {
				t.Errorf("frame %d: %d boxes from a track lost for good", frame, len(out))
			}
		}
	}
}

func TestTrackerKeepsTwoFacesApart(t *testing.T) {
	tr := NewTracker(2)
	left := Box{X: 10, Y: 10, W: 50, H: 50}
	right := Box{X: 400, Y: 10, W: 50, H: 50}
	first := tr.Update([]Box{left, right})
	second := tr.Update([]Box{right}) // left missed
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("boxes: %d then %d, want 2 and 2", len(first), len(second))
	}
	ids := map[Box]int{}
	for _, b := range first {
		ids[b.Box] = b.Track
	}
	for _, b := range second {
		switch {
		case b.Box == right && (b.Carried || b.Track != ids[right]):
			t.Errorf("right face: %+v", b)
		case b.Box != right && (!b.Carried || b.Track != ids[left]):
			t.Errorf("left face should be carried on its own track: %+v", b)
		}
	}
}

func TestBoxGeometry(t *testing.T) {
	b := Box{X: 100, Y: 100, W: 100, H: 100}
	if g := b.Grow(0.3); g != (Box{70, 70, 160, 160}) {
		t.Errorf("Grow = %+v", g)
	}
	if iou := b.IoU(Box{150, 100, 100, 100}); iou < 0.33 || iou > 0.34 {
		t.Errorf("IoU of half-overlapping boxes = %v, want 1/3", iou)
	}
	if iou := b.IoU(Box{300, 300, 10, 10}); iou != 0 {
		t.Errorf("IoU of apart boxes = %v", iou)
	}
	rgb := make([]byte, 4*3*3)
	for i := range rgb {
		rgb[i] = 255
	}
	fillBlack(rgb, 4, 3, Box{X: 2, Y: 1, W: 10, H: 10}) // clipped to the frame
	for y := 0; y < 3; y++ {
		for x := 0; x < 4; x++ {
			black := rgb[(y*4+x)*3] == 0 && rgb[(y*4+x)*3+1] == 0 && rgb[(y*4+x)*3+2] == 0
			if black != (x >= 2 && y >= 1) {
				t.Errorf("pixel %d,%d black = %v", x, y, black)
			}
		}
	}
	if w, h := fitSize(3840, 2160, 1920, 1080); w != 1920 || h != 1080 {
		t.Errorf("fitSize 4K = %dx%d", w, h)
	}
	if w, h := fitSize(1081, 1921, 1920, 1080); w%2 != 0 || h%2 != 0 || h > 1080 {
		t.Errorf("fitSize portrait = %dx%d", w, h)
	}
}
