package media

import (
	"bytes"
	"strings"
)

// SniffLen is how many leading bytes Sniff wants; fewer work for most kinds.
const SniffLen = 64

// Kinds Sniff recognises.
const (
	KindMP4      = "mp4"
	KindMOV      = "mov"
	KindM4A      = "m4a"
	KindWebM     = "webm"
	KindMatroska = "matroska"
	KindWAV      = "wav"
	KindMP3      = "mp3"
	KindOgg      = "ogg"
	KindFLAC     = "flac"
)

// ftypBrands maps ISO base media major brands to a kind. Only brands of audio and video files
// are listed: HEIF/AVIF pictures and camera raw files share the ftyp box and are refused.
var ftypBrands = map[string]string{
	"isom": KindMP4, "iso2": KindMP4, "iso4": KindMP4, "iso5": KindMP4, "iso6": KindMP4,
	"mp41": KindMP4, "mp42": KindMP4, "avc1": KindMP4, "M4V ": KindMP4, "M4VP": KindMP4,
	"3gp4": KindMP4, "3gp5": KindMP4, "3gp6": KindMP4, "3g2a": KindMP4, "dash": KindMP4,
	"MSNV": KindMP4, "XAVC": KindMP4, "mmp4": KindMP4,
	"qt  ": KindMOV,
	"M4A ": KindM4A, "M4B ": KindM4A,
}

// Sniff names the kind of a recording from its first bytes (SniffLen of them), never from its
// name or the browser's claimed type. Anything that is not one of the accepted audio or video
// containers — web pages, archives, programs, pictures — is refused with ok false.
func Sniff(first []byte) (kind string, ok bool) {
	b := first
	switch {
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		kind, ok := ftypBrands[string(b[8:12])]
		return kind, ok
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return sniffEBML(b[4:])
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		return KindWAV, true
	case bytes.HasPrefix(b, []byte("ID3")) && len(b) >= 10 && b[3] >= 2 && b[3] <= 4:
		return KindMP3, true
	case isMPEGAudioFrame(b):
		return KindMP3, true
	case bytes.HasPrefix(b, []byte("OggS\x00")):
		return KindOgg, true
	case bytes.HasPrefix(b, []byte("fLaC")):
		return KindFLAC, true
	}
	return "", false
}

// sniffEBML reads the DocType of an EBML header; Matroska and WebM share the header and
// differ only there.
func sniffEBML(header []byte) (string, bool) {
	// The DocType element (ID 0x4282) sits in the first few dozen bytes of the header.
	i := bytes.Index(header, []byte{0x42, 0x82})
	if i < 0 || i+3 > len(header) {
		return "", false
	}
	size := int(header[i+2])
	if size&0x80 == 0 { // only the one-byte size form is used for so short a string
		return "", false
	}
	size &^= 0x80
	start := i + 3
	if start+size > len(header) {
		return "", false
	}
	switch strings.TrimRight(string(header[start:start+size]), "\x00") {
	case "webm":
		return KindWebM, true
	case "matroska":
		return KindMatroska, true
	}
	return "", false
}

// isMPEGAudioFrame checks an MPEG audio frame header (MP3 without an ID3 tag): the sync bits,
// a real layer (ADTS AAC uses layer 0 and is not accepted), a valid bitrate and sample rate.
// Two bytes of sync alone match too much, so all four header bytes are checked.
func isMPEGAudioFrame(b []byte) bool {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return false
	}
	version := (b[1] >> 3) & 3
	layer := (b[1] >> 1) & 3
	bitrate := b[2] >> 4
	sampleRate := (b[2] >> 2) & 3
	return version != 1 && layer != 0 && bitrate != 0 && bitrate != 15 && sampleRate != 3
}

// kindMatchesFormat reports whether ffprobe's demuxer agrees with the sniffed kind, so a file
// that starts like one format but is read as another is refused.
func kindMatchesFormat(kind, formatName string) bool {
	names := strings.Split(formatName, ",")
	has := func(want string) bool {
		for _, n := range names {
			if n == want {
				return true
			}
		}
		return false
	}
	switch kind {
	case KindMP4, KindMOV, KindM4A:
		return has("mov") || has("mp4")
	case KindWebM, KindMatroska:
		return has("matroska") || has("webm")
	case KindWAV:
		return has("wav")
	case KindMP3:
		return has("mp3")
	case KindOgg:
		return has("ogg")
	case KindFLAC:
		return has("flac")
	}
	return false
}
