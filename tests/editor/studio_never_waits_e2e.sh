#!/usr/bin/env bash
# The studio's UI thread never waits on training, decoding or inference (a structural test, no
# timing): with a trainer whose first step never returns (--debug-stall-training), the window
# still draws every scripted frame and answers input (a key press through GLFW's callback, a
# slider, a frame step, a view switch), and the settings it changed are saved. Closing the window
# while the demo project is being made cancels it and leaves nothing half-made.
# Usage: studio_never_waits_e2e.sh <mirage> <mirage-studio> <source dir>. Exit 77 (skipped)
# without data/Megamind.avi, xvfb-run or a Vulkan device.
set -uo pipefail
source "$(dirname "$0")/../support/studio_check.sh" "$@"

# A small project: 1 s of the sample, its faces as both sets, no model yet; erode starts at 0
# (not the default) so two presses of E make it 2.
p=$work/project
mkdir -p "$p/faces" "$p/shots"
ffmpeg -v error -i "$clip" -vf trim=start_frame=1:end_frame=25,setpts=PTS-STARTPTS -an -c:v ffv1 "$work/short.mkv" 2>/dev/null
"$mirage" extract --input "$work/short.mkv" --output "$p/faces/a" --quiet >/dev/null 2>"$work/err"
check "the project's faces are extracted" test -s "$p/faces/a/faceset.json"
cp -r "$p/faces/a" "$p/faces/b"
cat >"$p/project.json" <<JSON
{"schema": 1, "source": "$work/short.mkv", "train": {"batch": 2, "save_every": 0},
 "player": {"mode": "every-frame", "to": "b"}, "composite": {"erode": 0}}
JSON

cat >"$work/script.txt" <<'SCRIPT'
until training 120
frames 30
key E
frames 3
key E
frames 3
set feather 25
step
view original
frames 10
screenshot shots/stalled.png
train stop
frames 10
quit
SCRIPT
xvfb "$studio" --project "$p" --debug-stall-training --script "$work/script.txt" >"$work/out" 2>"$work/err"
check "with a stalled trainer the scripted session exits 0" test $? -eq 0
check "  after drawing every scripted frame" grep -q "^mirage-studio: [0-9]* frames" "$work/out"
check "  and saving the screenshot" test -s "$p/shots/stalled.png"
check "  stopping the trainer from the UI without waiting for its step" grep -q "stopping training at step 0" "$work/err"
check "  which never finished a step" grep -q "training stopped at step 0" "$work/err"
check "  two key presses reached the shortcuts (erode 2 in project.json)" grep -q '"erode": 2' "$p/project.json"
check "  and the slider its setting (feather 25)" grep -q '"feather": 25' "$p/project.json"
check "  with no validation error" bash -c "! grep -q '\[error\]' '$work/err'"

# First run in a folder with the sample clip: the demo project is made in the background;
# closing the window cancels it and nothing half-made stays.
mkdir -p "$work/fresh/data"
ln -s "$clip" "$work/fresh/data/Megamind.avi"
(cd "$work/fresh" && xvfb "$studio" --frames 20 >"$work/out" 2>"$work/err")
check "closing the studio while it makes the demo project exits 0" test $? -eq 0
check "  and leaves no half-extracted face set" test -z "$(find "$work/fresh/demo" -name 'all*' 2>/dev/null)"
check "  nor a project.json" test ! -e "$work/fresh/demo/project.json"
finish
