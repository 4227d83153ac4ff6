#!/usr/bin/env bash
# Throughput of the identity-protection pipeline (media.Protect: decode, face detection on
# every frame, tracking, filling, re-encode) against a plain ffmpeg re-encode of the same
# 720p file, in seconds of video per second of wall time.
#
#   bench/protect.sh [seconds]     (default 30; needs ffmpeg and espeak-ng)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
for tool in ffmpeg ffprobe espeak-ng go; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install ffmpeg espeak-ng)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }

echo "== making a ${seconds}s 1280x720 25 fps test recording (moving face, synthetic speech)"
espeak-ng -v en-us -w "$work/speech.wav" \
  "I was with them for two years. I saw what they did in the villages, and I left when I could."
ffmpeg -nostdin -v error -y \
  -f lavfi -i "testsrc2=s=1280x720:r=25:d=${seconds}" \
  -loop 1 -framerate 25 -i internal/testimonies/media/testdata/face.jpg \
  -stream_loop -1 -i "$work/speech.wav" \
  -filter_complex "[0:v][1:v]overlay=x='100+mod(t*80\,900)':y='200+80*sin(t*2)':shortest=1[v]" \
  -map "[v]" -map 2:a -t "$seconds" -c:v libx264 -preset ultrafast -crf 18 -c:a aac \
  "$work/input.mp4"

echo "== building the test binary (not timed)"
go test -c -o "$work/media.test" ./internal/testimonies/media

echo "== plain re-encode: ffmpeg -c:v libx264 -c:a aac"
start=$(now)
ffmpeg -nostdin -v error -y -i "$work/input.mp4" -c:v libx264 -c:a aac "$work/plain.mp4"
plain=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')

echo "== protect: faces detected and filled, voice kept and re-encoded"
result=$("$work/media.test" -test.run '^TestProtectThroughput$' -test.count=1 -protect.bench="$work/input.mp4")
echo "$result" | grep '^protect:'
protect=$(echo "$result" | sed -n 's/.*protect_wall_seconds=\([0-9.]*\).*/\1/p')
video=$(echo "$result" | sed -n 's/.*protect_video_seconds=\([0-9.]*\).*/\1/p')
[ -n "$protect" ] || { echo "$result"; exit 1; }

awk -v v="$video" -v p="$plain" -v q="$protect" -v cpus="$(nproc)" -v ld="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
  printf "\nvideo: %.1f s at 1280x720 (%d CPUs, load %s)\n", v, cpus, ld
  printf "plain ffmpeg re-encode: %6.2f s wall, %5.2f s of video per second\n", p, v / p
  printf "protect pipeline:       %6.2f s wall, %5.2f s of video per second\n", q, v / q
  printf "ratio protect / plain:  %.2f (of the plain re-encode'"'"'s throughput)\n", (v / q) / (v / p)
}'
