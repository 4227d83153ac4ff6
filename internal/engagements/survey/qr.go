package survey

import (
	"bytes"
	"image"
	"image/color"
	"image/png"

	"github.com/boombuler/barcode/qr"

	"inoculate/internal/platform/errs"
)

// QR scale: each module is this many pixels, with the 4-module quiet zone the QR
// standard asks for, so a printed code scans without trimming or scaling blur.
const (
	qrModule    = 10
	qrQuietZone = 4
)

// QRCode returns a PNG of a QR code holding url, in black and white, with error
// correction level Q: a printed poster survives a fold or a smudge.
func QRCode(url string) ([]byte, error) {
	code, err := qr.Encode(url, qr.Q, qr.Auto)
	if err != nil {
		return nil, errs.Wrap(err, "survey: encode QR")
	}
	n := code.Bounds().Dx()
	side := (n + 2*qrQuietZone) * qrModule
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for y := range n {
		for x := range n {
			if lum, _, _, _ := code.At(x, y).RGBA(); lum >= 0x8000 {
				continue // a light module
			}
			x0, y0 := (x+qrQuietZone)*qrModule, (y+qrQuietZone)*qrModule
			for dy := range qrModule {
				for dx := range qrModule {
					img.SetColorIndex(x0+dx, y0+dy, 1)
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, errs.Wrap(err, "survey: encode PNG")
	}
	return buf.Bytes(), nil
}
