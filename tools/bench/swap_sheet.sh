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

# frame N of the clip in row $index as a PNG, decoded once however many cells show it
grab() {
  local png="$work/frame_${index}_$2.png"
  if [ ! -s "$png" ]; then
    ffmpeg -loglevel error -y -i "$1" -vf "select=eq(n\,$2)" -vsync 0 -frames:v 1 "$png"
    [ -s "$png" ] || { echo "$0: $1 has no frame $2" >&2; exit 1; }
  fi
  echo "$png"
}

# the PNGs given, side by side (hstack) or one above the other (vstack), into OUT
stack() {
  local filter=$1 out=$2 args=()
  shift 2
  for p in "$@"; do args+=(-i "$p"); done
  if [ $# -gt 1 ]; then
    ffmpeg -loglevel error -y "${args[@]}" -filter_complex "$filter=inputs=$#" -q:v 3 "$out"
  else
    ffmpeg -loglevel error -y "${args[@]}" -q:v 3 "$out"
  fi
}

rows=()
index=0
for entry in "source=$source" "$@"; do
  label=${entry%%=*} clip=${entry#*=}
  [ -f "$clip" ] || { echo "$0: $clip: no such clip" >&2; exit 1; }
  cells=()
  for f in $frames; do
    png=$(grab "$clip" "$f")
    ffmpeg -loglevel error -y -i "$png" -vf "scale=-2:$row_h,drawtext=text='$label f$f':x=6:y=6:fontsize=16:fontcolor=white:box=1:boxcolor=black@0.5" "$work/c_${index}_${#cells[@]}.png"
    cells+=("$work/c_${index}_${#cells[@]}.png")
  done
  for c in $crops; do
    IFS=: read -r f x y side <<< "$c"
    png=$(grab "$clip" "$f")
    ffmpeg -loglevel error -y -i "$png" -vf "crop=$side:$side:$x:$y,scale=$row_h:$row_h:flags=lanczos" "$work/c_${index}_${#cells[@]}.png"
    cells+=("$work/c_${index}_${#cells[@]}.png")
  done
  [ ${#cells[@]} -gt 0 ] || { echo "$0: FRAMES and CROPS are both empty" >&2; exit 2; }
  stack hstack "$work/row_$index.png" "${cells[@]}"
  rows+=("$work/row_$index.png")
  index=$((index + 1))
done
stack vstack "$out" "${rows[@]}"
echo "$out: ${#rows[@]} rows"
