package media

import (
	_ "embed"
	"fmt"
	"image"
	"math"
	"sync"

	pigo "github.com/esimov/pigo/core"
)

// Box is a rectangle on a frame, in pixels of the frame as displayed.
type Box struct {
	X, Y, W, H int
}

// Rect is the box as an image rectangle.
func (b Box) Rect() image.Rectangle { return image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H) }

func (b Box) area() float64 { return float64(max(b.W, 0)) * float64(max(b.H, 0)) }

// IoU is the intersection over union of two boxes, 0 when they do not touch.
func (b Box) IoU(o Box) float64 {
	in := b.Rect().Intersect(o.Rect())
	if in.Empty() {
		return 0
	}
	i := float64(in.Dx()) * float64(in.Dy())
	return i / (b.area() + o.area() - i)
}

// Grow widens the box by fraction of its width on the left and right and of its height above
// and below: a detector's square sits on the eyes, nose and mouth, while hair, ears and chin
// identify too.
func (b Box) Grow(fraction float64) Box {
	dx := int(math.Ceil(float64(b.W) * fraction))
	dy := int(math.Ceil(float64(b.H) * fraction))
	return Box{b.X - dx, b.Y - dy, b.W + 2*dx, b.H + 2*dy}
}

// scale maps a box from one frame size to another.
func (b Box) scale(fx, fy float64) Box {
	x0 := int(math.Floor(float64(b.X) * fx))
	y0 := int(math.Floor(float64(b.Y) * fy))
	x1 := int(math.Ceil(float64(b.X+b.W) * fx))
	y1 := int(math.Ceil(float64(b.Y+b.H) * fy))
	return Box{x0, y0, x1 - x0, y1 - y0}
}

// FaceDetector finds faces on a grayscale frame. It sits behind an interface because pigo is
// unmaintained and a better detector should be able to replace it without touching Protect or
// the release gate. Protect calls Detect from several goroutines at once (see
// ProtectOptions.Workers); Detect must not keep img.
type FaceDetector interface {
	Detect(img *image.Gray) []Box
}

// facefinderCascade is pico's frontal face cascade as shipped in github.com/esimov/pigo v1.4.6
// (cascade/facefinder; pigo is MIT licensed, Copyright (c) 2018 Endre Simo). The cascade was
// trained by Nenad Markus for pico (github.com/nenadmarkus/pico), whose own licence restricts
// commercial and military use: see cascade/README.md.
//
//go:embed cascade/facefinder
var facefinderCascade []byte

var (
	unpackOnce    sync.Once
	unpackedPigo  *pigo.Pigo
	unpackPigoErr error
)

func facefinder() (*pigo.Pigo, error) {
	unpackOnce.Do(func() {
		unpackedPigo, unpackPigoErr = pigo.NewPigo().Unpack(facefinderCascade)
	})
	return unpackedPigo, unpackPigoErr
}

// PigoDetector finds frontal faces with the pigo cascade. The zero value is not usable: make
// one with NewPigoDetector and adjust its fields before first use.
type PigoDetector struct {
	classifier *pigo.Pigo

	// MinFace is the smallest face looked for, as a fraction of the frame's shorter side.
	MinFace float64
	// MinScore is the cascade score a cluster of detections needs to count as a face; lower
	// finds more faces and more false ones.
	MinScore float32
	// MinScanSize is the smallest window, in pixels, the cascade scans: frames are shrunk (by a
	// whole factor, averaging pixels) until MinFace comes down to about this size. The scan
	// steps by a tenth of the window, so windows under 20 pixels would be tried at every
	// pixel, which costs several times more and finds little the cascade can tell apart.
	MinScanSize int
	// ShiftFactor is the scan step as a fraction of the window, ScaleFactor the growth from
	// one window size to the next: smaller values look more closely and cost more.
	ShiftFactor, ScaleFactor float64
	// Angles are extra in-plane rotations to scan, as fractions of a full turn (0.04 ≈ 14°
	// clockwise, 0.96 ≈ 14° the other way), for tilted heads. Each costs a full scan.
	Angles []float64
}

// NewPigoDetector returns the detector Protect uses on every frame: frontal faces at least a
// twentieth of the frame's shorter side high, scanned coarsely enough to keep up with the
// encoder (a face missed on one frame is carried by the tracker from its neighbours).
func NewPigoDetector() (*PigoDetector, error) {
	c, err := facefinder()
	if err != nil {
		return nil, fmt.Errorf("media: unpack face cascade: %w", err)
	}
	return &PigoDetector{classifier: c, MinFace: 0.05, MinScore: 5, MinScanSize: 20, ShiftFactor: 0.15, ScaleFactor: 1.15}, nil
}

// NewPigoCheckDetector returns the detector for the release check on sampled frames: it looks
// more closely than Protect's (finer scan, smaller faces, a lower score, heads tilted either
// way), so a face Protect's detector missed is not also missed by the check for the same
// reason. It is several times slower and finds more false faces, which a reviewer dismisses.
func NewPigoCheckDetector() (*PigoDetector, error) {
	d, err := NewPigoDetector()
	if err != nil {
		return nil, err
	}
	d.MinFace, d.MinScore, d.ShiftFactor, d.ScaleFactor = 0.04, 3, 0.1, 1.1
	d.Angles = []float64{0.04, 0.96}
	return d, nil
}

// Detect implements FaceDetector.
func (d *PigoDetector) Detect(img *image.Gray) []Box {
	if img.Rect.Min != (image.Point{}) {
		// Boxes are in frame coordinates from the top-left corner; rebase a sub-image.
		img = rebased(img)
	}
	src := img
	minFace := float64(min(img.Rect.Dx(), img.Rect.Dy())) * d.MinFace
	factor := max(int(minFace/float64(max(d.MinScanSize, 10))), 1)
	if factor > 1 {
		src = shrinkGray(img, factor)
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	minSize := max(int(minFace)/factor, 10)
	params := pigo.CascadeParams{
		MinSize:     minSize,
		MaxSize:     min(w, h),
		ShiftFactor: d.ShiftFactor,
		ScaleFactor: d.ScaleFactor,
		ImageParams: pigo.ImageParams{Pixels: grayPixels(src), Rows: h, Cols: w, Dim: w},
	}
	var boxes []Box
	for _, angle := range append([]float64{0}, d.Angles...) {
		dets := d.classifier.RunCascade(params, angle)
		for _, det := range d.classifier.ClusterDetections(dets, 0.2) {
			if det.Q < d.MinScore {
				continue
			}
			half := det.Scale / 2
			b := Box{(det.Col - half) * factor, (det.Row - half) * factor, det.Scale * factor, det.Scale * factor}
			boxes = append(boxes, b.clip(img.Rect))
		}
	}
	return mergeOverlapping(boxes)
}

func (b Box) clip(r image.Rectangle) Box {
	c := b.Rect().Intersect(r)
	return Box{c.Min.X, c.Min.Y, c.Dx(), c.Dy()}
}

// mergeOverlapping joins boxes found at several angles for the same face.
func mergeOverlapping(boxes []Box) []Box {
	var out []Box
	for _, b := range boxes {
		merged := false
		for i, o := range out {
			if b.IoU(o) > 0.3 {
				u := b.Rect().Union(o.Rect())
				out[i] = Box{u.Min.X, u.Min.Y, u.Dx(), u.Dy()}
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, b)
		}
	}
	return out
}

// grayPixels returns the image's pixels as one packed row-major slice, as pigo wants them.
func grayPixels(img *image.Gray) []uint8 {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if img.Stride == w && len(img.Pix) == w*h {
		return img.Pix
	}
	out := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		copy(out[y*w:(y+1)*w], img.Pix[y*img.Stride:y*img.Stride+w])
	}
	return out
}

// shrinkGray averages factor×factor blocks into one pixel.
func shrinkGray(img *image.Gray, factor int) *image.Gray {
	w, h := img.Rect.Dx()/factor, img.Rect.Dy()/factor
	out := image.NewGray(image.Rect(0, 0, w, h))
	n := factor * factor
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sum := 0
			for dy := 0; dy < factor; dy++ {
				row := img.Pix[(y*factor+dy)*img.Stride+x*factor:]
				for dx := 0; dx < factor; dx++ {
					sum += int(row[dx])
				}
			}
			out.Pix[y*w+x] = uint8(sum / n)
		}
	}
	return out
}

func rebased(img *image.Gray) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, img.Rect.Dx(), img.Rect.Dy()))
	for y := 0; y < out.Rect.Dy(); y++ {
		off := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
		copy(out.Pix[y*out.Stride:], img.Pix[off:off+out.Rect.Dx()])
	}
	return out
}
