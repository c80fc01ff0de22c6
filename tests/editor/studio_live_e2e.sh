#!/usr/bin/env bash
# mirage-studio as a person uses it, under Xvfb + lavapipe, driven by a script of UI actions:
# open a project, train, play, move a slider, switch views, record, take screenshots. The
# screenshots must show the viewport with the face swapped (differing from the original view),
# the recorded clip must be whole and labelled, and bad input is one line.
# Usage: studio_live_e2e.sh <mirage> <mirage-studio> <source dir>. Exit 77 (skipped) without
# data/Megamind.avi, xvfb-run or a Vulkan device.
set -uo pipefail
source "$(dirname "$0")/../support/studio_check.sh" "$@"

# A small project: 2 s of the sample with its audio, its faces as both sets.
p=$work/project
mkdir -p "$p/faces" "$p/shots"
ffmpeg -v error -i "$clip" -vf trim=start_frame=1:end_frame=49,setpts=PTS-STARTPTS -af atrim=0.04:2.04,asetpts=PTS-STARTPTS \
       -c:v ffv1 -c:a aac "$work/short.mkv" 2>/dev/null
"$mirage" extract --input "$work/short.mkv" --output "$p/faces/a" --quiet >/dev/null 2>"$work/err"
check "the project's faces are extracted" test -s "$p/faces/a/faceset.json"
cp -r "$p/faces/a" "$p/faces/b"
cat >"$p/project.json" <<JSON
{"schema": 1, "source": "$work/short.mkv",
 "train": {"batch": 4, "save_every": 0},
 "player": {"mode": "every-frame", "snapshot_every_steps": 5, "snapshot_every_s": 1, "to": "b"}}
JSON

cat >"$work/script.txt" <<'SCRIPT'
# a person's session
until swapped 240
pause
view original
frames 3
screenshot shots/original.png
view swapped
set feather 30
frames 3
screenshot shots/swapped.png
view split
frames 2
screenshot shots/split.png
view mask
until masked 60
frames 2
screenshot shots/mask.png
view swapped
record renders/studio.mp4
until recorded 300
frames 2
screenshot shots/after.png
quit
SCRIPT
xvfb "$studio" --project "$p" --script "$work/script.txt" >"$work/out" 2>"$work/err"
check "the scripted session exits 0" test $? -eq 0
check "  with no validation error" bash -c "! grep -q '\[error\]' '$work/err'"
for shot in original swapped split mask after; do
  check "  and saves the $shot screenshot" test -s "$p/shots/$shot.png"
done
# The viewport (left 860 x 430 px of the window): the swapped view differs from the original.
swap_psnr=$(psnr "$p/shots/swapped.png" "$p/shots/original.png" 860:430:0:20)
check "the viewport shows the swap (swapped vs original view: $swap_psnr dB)" awk -v p="$swap_psnr" 'BEGIN { exit !(p != "inf" && p + 0 < 45) }'
mask_psnr=$(psnr "$p/shots/mask.png" "$p/shots/swapped.png" 860:430:0:20)
check "the mask overlay view tints the face (mask vs swapped view: $mask_psnr dB)" awk -v p="$mask_psnr" 'BEGIN { exit !(p != "inf" && p + 0 < 40) }'
probe() { ffprobe -v error "$@" -of default=nw=1:nk=1 "$p/renders/studio.mp4"; }
check "the studio's recording has every frame" test "$(probe -select_streams v:0 -count_frames -show_entries stream=nb_read_frames)" = 48
check "  the source's audio" test "$(probe -select_streams a:0 -show_entries stream=codec_name)" = aac
check "  and the synthetic tag" bash -c "ffprobe -v error -show_entries format_tags=comment -of default=nw=1:nk=1 '$p/renders/studio.mp4' | grep -q '^synthetic: made with Mirage'"
check "the settings were saved to project.json" grep -q '"feather": 30' "$p/project.json"

# Bad input: one line, a non-zero exit; a broken project.json keeps the studio running.
printf 'frames 2\nfly away\n' >"$work/bad.txt"
xvfb "$studio" --project "$p" --script "$work/bad.txt" >"$work/out" 2>"$work/err"
check "an unknown script command exits 1" test $? -eq 1
check "  with one line naming the line" bash -c "grep -v '^\[' '$work/err' | grep -q 'script:2: unknown command .fly.'"
cp "$p/project.json" "$work/good.json"
printf '{"schema": 1, "composite": {"feather": -5}}' >"$p/project.json"
printf 'frames 3\nscreenshot %s\nquit\n' "$work/broken.png" >"$work/shot.txt"
xvfb "$studio" --project "$p" --script "$work/shot.txt" >"$work/out" 2>"$work/err"
check "a broken project.json still opens the studio (exit 0)" test $? -eq 0
check "  and draws the window" test -s "$work/broken.png"
check "  and leaves the file as it was" grep -q '"feather": -5' "$p/project.json"
# A disk that fills while recording and, at the end, while saving the training: a 256 KB
# file-size limit (SIGXFSZ ignored, so writes fail with EFBIG). The studio says so and goes on; no clip
# stands under the name and the checkpoints stay as they were.
cp "$work/good.json" "$p/project.json"
before=$(sha256sum "$p"/model/checkpoint-*.mirage | sort)
printf 'until swapped 240\nrecord renders/full.mp4\nuntil recorded 300\nframes 2\nquit\n' >"$work/full.txt"
(trap '' XFSZ; ulimit -f 256; exec env MIRAGE_VULKAN_VALIDATION=1 xvfb-run -a -s '-screen 0 1280x720x24' \
   "$studio" --project "$p" --script "$work/full.txt") >"$work/out" 2>"$work/err"
check "a full disk while recording: the studio goes on (exit 0)" test $? -eq 0
check "  and says the recording failed" grep -q "recording .*full.mp4: " "$work/err"
check "  leaving no clip under its name" test ! -e "$p/renders/full.mp4"
check "  and every checkpoint as it was" test "$(sha256sum "$p"/model/checkpoint-*.mirage | sort)" = "$before"
check "no temporary file is left" test -z "$(find "$work" -name '*.partial-*' -o -name '*.tmp*')"
finish
