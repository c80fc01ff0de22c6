#!/bin/bash
# A comparison sheet of swapped clips against their source (docs/results/swap_quality*.jpg):
# one row per clip, the source first; each row shows whole frames at half size, then close-ups of
# the faces at about their size in the frame.
#
#   tools/bench/swap_sheet.sh OUT.jpg SOURCE "LABEL=CLIP" ["LABEL=CLIP" ...]
#   FRAMES="30 120 200 250" CROPS="30:170:100:240 200:200:0:380 250:240:0:380" tools/bench/swap_sheet.sh ...
#
# FRAMES: frame numbers (0-based) shown whole. CROPS: FRAME:X:Y:SIDE squares in source pixels
# shown as close-ups (scaled to the row height). Needs ffmpeg only.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 OUT.jpg SOURCE LABEL=CLIP [LABEL=CLIP ...]" >&2
  exit 2
fi
out=$1 source=$2
shift 2
frames=${FRAMES:-30 120 200 250}
crops=${CROPS:-30:170:100:240 200:200:0:380 250:240:0:380}
row_h=${ROW_HEIGHT:-264}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# frame N of CLIP as a PNG
grab() {
  ffmpeg -loglevel error -y -i "$1" -vf "select=eq(n\,$2)" -vsync 0 -frames:v 1 "$3"
  [ -s "$3" ] || { echo "$0: $1 has no frame $2" >&2; exit 1; }
}

rows=()
index=0
for entry in "source=$source" "$@"; do
  label=${entry%%=*} clip=${entry#*=}
  [ -f "$clip" ] || { echo "$0: $clip: no such clip" >&2; exit 1; }
  cells=()
  for f in $frames; do
    grab "$clip" "$f" "$work/f.png"
    ffmpeg -loglevel error -y -i "$work/f.png" -vf "scale=-2:$row_h,drawtext=text='$label f$f':x=6:y=6:fontsize=16:fontcolor=white:box=1:boxcolor=black@0.5" "$work/c_${index}_${#cells[@]}.png"
    cells+=("$work/c_${index}_${#cells[@]}.png")
  done
  for c in $crops; do
    IFS=: read -r f x y side <<< "$c"
    grab "$clip" "$f" "$work/f.png"
    ffmpeg -loglevel error -y -i "$work/f.png" -vf "crop=$side:$side:$x:$y,scale=$row_h:$row_h:flags=lanczos" "$work/c_${index}_${#cells[@]}.png"
    cells+=("$work/c_${index}_${#cells[@]}.png")
  done
  inputs=() && for c in "${cells[@]}"; do inputs+=(-i "$c"); done
  ffmpeg -loglevel error -y "${inputs[@]}" -filter_complex "hstack=inputs=${#cells[@]}" "$work/row_$index.png"
  rows+=("$work/row_$index.png")
  index=$((index + 1))
done
inputs=() && for r in "${rows[@]}"; do inputs+=(-i "$r"); done
if [ ${#rows[@]} -gt 1 ]; then
  ffmpeg -loglevel error -y "${inputs[@]}" -filter_complex "vstack=inputs=${#rows[@]}" -q:v 3 "$out"
else
  ffmpeg -loglevel error -y "${inputs[@]}" -q:v 3 "$out"
fi
echo "$out: ${#rows[@]} rows"
