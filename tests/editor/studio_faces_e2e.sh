#!/usr/bin/env bash
# The studio's face browser as a person uses it, under Xvfb + lavapipe, scripted: open a set,
# wait for its thumbnails, hover a face (its source frame with landmarks), select and reject two
# faces, undo one rejection, reject again. The screenshots must show the grid (not blank), the
# rejected PNGs must be in faces/a/rejected (moved, not deleted) and both sets' lists agree with
# the files; the CLI then sees the same sets.
# Usage: studio_faces_e2e.sh <mirage> <mirage-studio> <source dir>. Exit 77 (skipped) without
# data/Megamind.avi, xvfb-run or a Vulkan device.
set -uo pipefail
source "$(dirname "$0")/../support/studio_check.sh" "$@"

p=$work/project
mkdir -p "$p/faces" "$p/shots"
ffmpeg -v error -i "$clip" -vf trim=start_frame=1:end_frame=49,setpts=PTS-STARTPTS -an -c:v ffv1 "$work/short.mkv"
"$mirage" extract --input "$work/short.mkv" --output "$p/faces/a" --quiet >/dev/null 2>"$work/err"
check "the project's faces are extracted" test -s "$p/faces/a/faceset.json"
cp -r "$p/faces/a" "$p/faces/b"
cat >"$p/project.json" <<JSON
{"schema": 1, "source": "$work/short.mkv", "train": {"batch": 4, "save_every": 0}}
JSON
faces_in() { grep -c '"file"' "$1/faceset.json"; }
before=$(faces_in "$p/faces/a")

cat >"$work/script.txt" <<'SCRIPT'
pause
frames 3
screenshot shots/closed.png
faces a
until thumbnails 60
hover 3
until source 30
frames 2
screenshot shots/grid.png
hover -1
select 2
reject
frames 2
undo
frames 2
select 3
reject
frames 3
screenshot shots/rejected.png
quit
SCRIPT
xvfb "$studio" --project "$p" --no-train --script "$work/script.txt" >"$work/out" 2>"$work/err"
check "the scripted session exits 0" test $? -eq 0
check "  with no validation error" bash -c "! grep -q '\[error\]' '$work/err'"
for shot in closed grid rejected; do
  check "  and saves the $shot screenshot" test -s "$p/shots/$shot.png"
done
# The browser's grid (a 780 x 300 px area of the Faces window) against the same area before it opened.
grid_psnr=$(psnr "$p/shots/grid.png" "$p/shots/closed.png" 780:300:70:180)
check "the grid shows faces (grid vs closed: $grid_psnr dB)" awk -v p="$grid_psnr" 'BEGIN { exit !(p != "inf" && p + 0 < 20) }'
# The grid area is not flat: thumbnails, not an empty panel.
spread=$(ffmpeg -nostats -i "$p/shots/grid.png" -vf "crop=780:300:70:180,format=gray,signalstats,metadata=print:key=lavfi.signalstats.YHIGH" \
         -f null - 2>&1 | sed -n 's/.*YHIGH=\([0-9]*\).*/\1/p' | tail -1)
low=$(ffmpeg -nostats -i "$p/shots/grid.png" -vf "crop=780:300:70:180,format=gray,signalstats,metadata=print:key=lavfi.signalstats.YLOW" \
      -f null - 2>&1 | sed -n 's/.*YLOW=\([0-9]*\).*/\1/p' | tail -1)
check "  with detail in it (10th to 90th percentile of brightness: $low..$spread)" test $((spread - low)) -gt 60
check "three faces are rejected, none deleted" test "$(faces_in "$p/faces/a/rejected")" -eq 3
check "  and the set lists the rest" test "$(faces_in "$p/faces/a")" -eq $((before - 3))
check "  every PNG is where its set lists it" bash -c "
  for set in '$p/faces/a' '$p/faces/a/rejected'; do
    for f in \$(sed -n 's/.*\"file\": *\"\\([^\"]*\\)\".*/\\1/p' \"\$set/faceset.json\"); do test -s \"\$set/\$f\" || exit 1; done
  done"
check "  and the folder holds no PNG that no set lists" test "$(ls "$p/faces/a"/*.png | wc -l)" -eq $((before - 3))
check "the status line said nothing went wrong" bash -c "! grep -qi 'cannot\|refused\|changed on disk' '$work/err'"

# The CLI sees the browser's sets.
"$mirage" sort "$p/faces/a" --by blur >"$work/out" 2>"$work/err"
check "mirage sort reads the edited set" test $? -eq 0
check "  and keeps its size" test "$(faces_in "$p/faces/a")" -eq $((before - 3))

# Bad input: a script naming a set that does not exist is one status line, the studio goes on.
printf 'faces nowhere\nselect 2\nreject\nframes 2\nquit\n' >"$work/bad.txt"
xvfb "$studio" --project "$p" --no-train --script "$work/bad.txt" >"$work/out" 2>"$work/err"
check "a set that does not exist: the studio goes on (exit 0)" test $? -eq 0
check "  and says so in one line" grep -q "nowhere" "$work/err"
finish
