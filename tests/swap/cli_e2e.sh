#!/usr/bin/env bash
# `mirage convert` and `mirage eval` on bad input, as a user runs them: one line on stderr,
# a non-zero exit, and no file left under the output name.
# Usage: cli_e2e.sh <mirage binary> <source dir>. Exit 77 (skipped) without data/Megamind.avi.
set -uo pipefail
mirage=$1
clip=$2/data/Megamind.avi
[ -s "$clip" ] || { echo "skipped: $clip is missing (tools/setup copies it)"; exit 77; }
source "$(dirname "$0")/../support/cli_check.sh"
one_line() { test "$(wc -l <"$work/err")" -eq 1 && grep -q "$1" "$work/err"; }

"$mirage" convert --input "$clip" 2>"$work/err"
check "convert without --output exits 2" test $? -eq 2

"$mirage" convert --project "$work/nope" --input "$clip" --output "$work/out.mp4" 2>"$work/err"
check "a missing project exits 1" test $? -eq 1
check "  with one line naming it" one_line "no such project"

mkdir -p "$work/project"
"$mirage" convert --project "$work/project" --input "$clip" --output "$work/out.mp4" 2>"$work/err"
check "a project without a model exits 1" test $? -eq 1
check "  with one line" test "$(grep -vc '^\[warn\]' "$work/err")" -eq 1
check "  and makes no file" test ! -e "$work/out.mp4"

"$mirage" convert --project "$work/project" --input "$clip" --output "$work/out.mp4" --to c 2>"$work/err"
check "an identity that does not exist exits 1" test $? -eq 1
check "  with one line naming it" one_line "identity 'c' does not exist"

printf 'keep' >"$work/exists.mp4"
"$mirage" convert --project "$work/project" --input "$clip" --output "$work/exists.mp4" 2>"$work/err"
check "an existing output without --overwrite exits 1" test $? -eq 1
check "  with one line saying so" one_line "pass --overwrite"
check "  and the file is untouched" test "$(cat "$work/exists.mp4")" = keep

"$mirage" convert --project "$work/project" --input "$clip" --output "$work/out.mp4" --opacity 2 2>"$work/err"
check "an option out of range exits 2" test $? -eq 2

"$mirage" eval --project "$work/project" --source "$clip" --clip "$work/missing.mp4" --no-model 2>"$work/err"
check "eval of a missing clip exits 1" test $? -eq 1
check "  with one line" test "$(wc -l <"$work/err")" -eq 1

"$mirage" eval --project "$work/project" --source "$clip" --clip "$clip" --no-model --judge-model "$work/none.json" 2>"$work/err"
check "eval without the judge's model exits 1" test $? -eq 1
check "  with one line naming tools/setup" one_line "tools/setup"
judge=$2/data/face-api
if [ -s "$judge/face_recognition_model.bin" ]; then
  mkdir -p "$work/judge"
  cp "$judge/face_recognition_model-weights_manifest.json" "$work/judge/"
  head -c 1000000 "$judge/face_recognition_model.bin" >"$work/judge/face_recognition_model.bin"
  "$mirage" eval --project "$work/project" --source "$clip" --clip "$clip" --no-model \
    --judge-model "$work/judge/face_recognition_model-weights_manifest.json" 2>"$work/err"
  check "eval with a truncated judge model exits 1" test $? -eq 1
  check "  with one line saying so" one_line "truncated.*tools/setup"
fi

# A tiny model (two steps on generated faces) converts a short clip: 30 frames of Megamind.avi
# (frame 0 is black) and 6 grey ones, with the source's audio.
"$mirage" train --project "$work/project" --synthetic 8 --steps 2 --batch 2 --save-every 2 --quiet >/dev/null 2>&1
check "a tiny model trains" test $? -eq 0
ffmpeg -v error -i "$clip" -vf trim=end_frame=30,tpad=stop=6:stop_mode=add:color=gray -t 1.55 \
       -c:v ffv1 -c:a aac "$work/short.mkv" 2>/dev/null
"$mirage" convert --project "$work/project" --input "$work/short.mkv" --output "$work/out.mp4" --json --quiet \
  >"$work/convert.json" 2>"$work/err"
check "convert exits 0" test $? -eq 0
check "  and says nothing on stderr but the source's frame-count note" test -z "$(grep -v "decoding stopped at frame 36" "$work/err")"
check "  writes every frame" grep -q '"frames_written": 36' "$work/convert.json"
check "  and counts the frames without a face" grep -Eq '"frames_without_faces": ([7-9]|[1-9][0-9])' "$work/convert.json"
probe() { ffprobe -v error "$@" -of default=nw=1:nk=1 "$work/out.mp4"; }
check "  the clip has 36 frames" test "$(probe -select_streams v:0 -count_frames -show_entries stream=nb_read_frames)" = 36
check "  at the input's frame rate" test "$(probe -select_streams v:0 -show_entries stream=r_frame_rate)" = 24000/1001
check "  at the input's size" test "$(probe -select_streams v:0 -show_entries stream=width,height | tr '\n' x)" = 720x528x
check "  with the source's audio" test "$(probe -select_streams a:0 -show_entries stream=codec_name)" = aac
check "  and the synthetic tag" bash -c "ffprobe -v error -show_entries format_tags=comment -of default=nw=1:nk=1 '$work/out.mp4' | grep -q '^synthetic: made with Mirage .*, model lite$'"

"$mirage" convert --project "$work/project" --input "$work/short.mkv" --output "$work/out.mp4" --to a --overwrite --no-label --quiet 2>"$work/err"
check "--overwrite replaces the clip" test $? -eq 0

"$mirage" convert --project "$work/project" --input "$work/short.mkv" --output "$work/out.txt" --quiet 2>"$work/err"
check "an output that is no video container exits 1" test $? -eq 1
check "  with one line before any work, naming the containers" one_line "must end in .mp4, .m4v, .mov or .mkv"
check "  and leaves no file" bash -c "test ! -e '$work/out.txt' && ! ls -A '$work' | grep -q partial"

# The compositor: auto says which it took and why; gpu composites on Vulkan (lavapipe will do)
# and agrees with the cpu one; what only the CPU does is refused for the GPU with one line.
check "auto names the compositor it measured and took" grep -Eq '"compositor_reason": "(measured|no GPU)' "$work/convert.json"
"$mirage" convert --project "$work/project" --input "$work/short.mkv" --output "$work/cpu.mkv" --compositor cpu \
  --quiet --no-label 2>"$work/err"
check "--compositor cpu exits 0" test $? -eq 0
if vulkaninfo --summary >/dev/null 2>&1 || [ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ]; then
  "$mirage" convert --project "$work/project" --input "$work/short.mkv" --output "$work/gpu.mkv" --compositor gpu \
    --quiet --no-label --json >"$work/gpu.json" 2>"$work/err"
  check "--compositor gpu exits 0" test $? -eq 0
  check "  on the GPU compositor" grep -q '"compositor": "gpu (' "$work/gpu.json"
  # Both clips decoded: the same encoder settings on nearly the same pixels.
  psnr=$(ffmpeg -nostats -i "$work/gpu.mkv" -i "$work/cpu.mkv" -lavfi psnr -f null - 2>&1 |
         sed -n 's/.*average:\([0-9.inf]*\).*/\1/p' | tail -1)
  check "  and its clip matches the cpu one (PSNR $psnr dB)" awk -v p="$psnr" 'BEGIN { exit !(p == "inf" || p + 0 >= 40) }'
  "$mirage" convert --project "$work/project" --input "$work/short.mkv" --output "$work/hist.mkv" --compositor gpu \
    --colour hist --quiet 2>"$work/err"
  check "--compositor gpu --colour hist exits 1" test $? -eq 1
  check "  with one line saying it is CPU only" one_line "CPU only"
  check "  and makes no file" test ! -e "$work/hist.mkv"
fi
"$mirage" convert --project "$work/project" --input "$work/short.mkv" --output "$work/x.mkv" --compositor fpga 2>"$work/err"
check "an unknown compositor exits 2" test $? -eq 2
check "  with one line naming it" one_line "unknown compositor 'fpga'"

printf 'RIFF not a video' >"$work/corrupt.avi"
"$mirage" convert --project "$work/project" --input "$work/corrupt.avi" --output "$work/bad.mp4" 2>"$work/err"
check "a corrupt video exits 1" test $? -eq 1
check "  with one line" test "$(wc -l <"$work/err")" -eq 1
check "  and makes no file" test ! -e "$work/bad.mp4"

check "no temporary file is left anywhere" test -z "$(find "$work" -name '*.partial-*')"
finish
