#!/usr/bin/env bash
# `mirage convert` marks its clips and `mirage verify` reads the marks, as a user runs them: a
# model trained for two steps on generated faces converts 2 s of Megamind; verify finds the
# watermark (also after a re-encode, a rescale and greyscale), the metadata tag and the
# provenance record, and names a record that does not match or is damaged; a clip without marks
# exits 1; bad input exits 2 with one line.
# Usage: verify_e2e.sh <mirage binary> <source dir>. Exit 77 (skipped) without data/Megamind.avi.
set -uo pipefail
mirage=$1
source_clip=$2/data/Megamind.avi
[ -s "$source_clip" ] || { echo "skipped: $source_clip is missing (tools/setup copies it)"; exit 77; }
source "$(dirname "$0")/../support/cli_check.sh"
one_line() { test "$(wc -l <"$work/err")" -eq 1 && grep -q "$1" "$work/err"; }

ffmpeg -v error -ss 2 -t 2 -i "$source_clip" -c:v ffv1 -an "$work/clip.mkv"
"$mirage" train --project "$work/p" --synthetic 8 --batch 2 --threads 1 --steps 2 --quiet 2>"$work/err"
check "a 2-step model trains" test $? -eq 0

"$mirage" convert --project "$work/p" --input "$work/clip.mkv" --output "$work/out.mp4" --quiet >"$work/out" 2>"$work/err"
check "convert exits 0" test $? -eq 0
record=$work/out.mp4.provenance.json
check "  and writes the provenance record beside the clip" test -s "$record"
check "  naming the clip's SHA-256" grep -q "$(sha256sum "$work/out.mp4" | cut -c1-64)" "$record"
check "  the source's" grep -q "$(sha256sum "$work/clip.mkv" | cut -c1-64)" "$record"
checkpoint=$(ls "$work/p/model"/checkpoint-*.mirage | tail -n 1)
check "  and the checkpoint's" grep -q "$(sha256sum "$checkpoint" | cut -c1-64)" "$record"
tag=$(grep -o '"weights_sha256": "[0-9a-f]*"' "$record" | grep -o '[0-9a-f]\{64\}' | cut -c1-6)
check "  with the weights' SHA-256 ($tag)" test ${#tag} -eq 6

"$mirage" verify "$work/out.mp4" >"$work/out" 2>"$work/err"
check "verify of the clip exits 0" test $? -eq 0
check "  reading the watermark with the model's tag" grep -q "watermark v2, model $tag, $(date -u +%F)" "$work/out"
check "  the metadata tag" grep -q "metadata tag present" "$work/out"
check "  and the matching record" grep -q "provenance record matches" "$work/out"
check "  on one line" test "$(wc -l <"$work/out")" -eq 1

"$mirage" verify "$work/out.mp4" --json >"$work/out.json" 2>"$work/err"
check "verify --json exits 0" test $? -eq 0
check "  with the payload's fields" grep -q "\"model_tag\": \"$tag\"" "$work/out.json"

ffmpeg -v error -i "$work/out.mp4" -vf "scale=trunc(iw*3/4)*2:trunc(ih*3/4)*2,format=gray,format=yuv420p" \
  -c:v libx264 -crf 23 -map_metadata -1 "$work/shared.mp4"
"$mirage" verify "$work/shared.mp4" >"$work/out" 2>"$work/err"
check "a re-encoded, upscaled greyscale copy without metadata exits 0" test $? -eq 0
check "  by its watermark alone" grep -q "watermark v2, model $tag.*metadata tag absent; no provenance record" "$work/out"

cp "$record" "$work/shared.mp4.provenance.json"
"$mirage" verify "$work/shared.mp4" >"$work/out" 2>"$work/err"
check "a record that is not the clip's is named" grep -q "provenance record does NOT match" "$work/out"
printf '{"format": "mirage-prov' >"$work/shared.mp4.provenance.json"
"$mirage" verify "$work/shared.mp4" >"$work/out" 2>"$work/err"
check "a damaged record is named" grep -q "provenance record damaged" "$work/out"
check "  and the watermark still decides (exit 0)" "$mirage" verify "$work/shared.mp4"

"$mirage" verify "$work/clip.mkv" >"$work/out" 2>"$work/err"
check "the unmarked source exits 1" test $? -eq 1
check "  saying so" grep -q "no Mirage watermark found; metadata tag absent; no provenance record" "$work/out"

"$mirage" convert --project "$work/p" --input "$work/clip.mkv" --output "$work/plain.mp4" --no-watermark --quiet >/dev/null 2>"$work/err"
"$mirage" verify "$work/plain.mp4" >"$work/out" 2>"$work/err"
check "--no-watermark leaves the tag and record (exit 0)" test $? -eq 0
check "  but no watermark" grep -q "no readable watermark" "$work/out"

# The watermark's cost as `bench convert --watermark-cost` measures it: a row per pair, then the
# median loss and the clip-size change (the marked clip is the larger one).
"$mirage" bench convert --model "$work/p/model" --input "$work/clip.mkv" --watermark-cost 2 >"$work/out" 2>"$work/err"
check "bench convert --watermark-cost exits 0" test $? -eq 0
check "  with a row per pair" test "$(grep -cE '^ +[12] +[0-9.]+ +[0-9.]+ +-?[0-9.]+%' "$work/out")" -eq 2
check "  and the median loss with a larger marked clip" grep -qE "median loss of frames/s: -?[0-9.]+ %.*clip size: \+[0-9.]+ %" "$work/out"
"$mirage" bench convert --model "$work/p/model" --input "$work/clip.mkv" --watermark-cost -1 >"$work/out" 2>"$work/err"
check "a negative --watermark-cost exits 2" test $? -eq 2
check "  with one line" one_line "watermark-cost must be"

"$mirage" verify "$work/missing.mp4" >"$work/out" 2>"$work/err"
check "a missing clip exits 2" test $? -eq 2
check "  with one line" one_line "no such file"
printf 'not a video' >"$work/text.mp4"
"$mirage" verify "$work/text.mp4" >"$work/out" 2>"$work/err"
check "a file that is not a video exits 2" test $? -eq 2
check "  with one line" test "$(wc -l <"$work/err")" -eq 1
"$mirage" verify >"$work/out" 2>"$work/err"
check "no clip at all is a usage error (2)" test $? -eq 2
finish
