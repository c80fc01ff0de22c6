#!/usr/bin/env bash
# `mirage train` as a user runs it, on generated faces (--synthetic, no video needed): a short run
# writes checkpoints, the loss log and the preview; Ctrl-C saves and exits 0; a second run resumes;
# bad input (missing face sets, a damaged checkpoint, another preset's checkpoint, CUDA that is not
# there, a full disk) gives one error line, a non-zero exit, and leaves the last good checkpoint
# byte for byte as it was.
# Usage: cli_e2e.sh <mirage binary>
set -uo pipefail
mirage=$1
source "$(dirname "$0")/../support/cli_check.sh"
# The error is one line (besides the run's header line and log lines) that names the problem.
one_error() { test "$(grep -vc '^mirage train: lite preset\|^\[info\]\|^\[warn\]' "$work/err")" -eq 1 && grep -q "$1" "$work/err"; }
newest() { ls "$work/p/model"/checkpoint-*.mirage 2>/dev/null | sort | tail -n 1; }
fingerprint() { sha256sum "$work/p/model"/checkpoint-*.mirage | sort; }
train() { "$mirage" train --project "$work/p" --synthetic 8 --batch 2 --threads 1 --quiet "$@"; }

# --- a short run -----------------------------------------------------------------------------
train --steps 6 --save-every 2 --keep 2 --preview-every 2 2>"$work/err"
check "a 6-step run exits 0" test $? -eq 0
check "  keeps the last 2 checkpoints" test "$(ls "$work/p/model"/checkpoint-*.mirage | wc -l)" -eq 2
check "  the newest at step 6" grep -q "step 6 saved" "$work/err"
check "  writes a loss log line per 50 steps and at the end" grep -q '"step":6' "$work/p/model/train_log.jsonl"
check "  with the losses" grep -q '"ssim":' "$work/p/model/train_log.jsonl"
check "  and a preview PNG" test "$(head -c 4 "$work/p/model/preview.png" | tail -c 3)" = PNG

# --- resume ----------------------------------------------------------------------------------
train --steps 8 --save-every 100 2>"$work/err"
check "a second run exits 0" test $? -eq 0
check "  resuming from step 6" grep -q "from step 6" "$work/err"
check "  and saves step 8" grep -q "step 8 saved" "$work/err"

# --- a resume after a kill: the log holds only what the checkpoint holds ------------------------
# As a SIGKILL leaves it: a line for a step whose weights were never saved, and a last line cut short.
printf '{"step":9999,"loss":0.1}\n{"step":10000,"lo' >> "$work/p/model/train_log.jsonl"
touch "$work/p/model/.checkpoint-000000000010.mirage.tmp.999999999.0"  # a killed save's temporary
train --steps 9 --save-every 1 2>"$work/err"
check "a resume after a kill exits 0" test $? -eq 0
check "  drops the log lines past the resumed step" bash -c "! grep -q '\"step\":9999\|\"step\":10000' '$work/p/model/train_log.jsonl'"
check "  leaves a log of whole JSON lines" python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$work/p/model/train_log.jsonl"
check "  ending at step 9" bash -c "tail -n 1 '$work/p/model/train_log.jsonl' | grep -q '\"step\":9'"
check "  and removes the killed save's temporary" test ! -e "$work/p/model/.checkpoint-000000000010.mirage.tmp.999999999.0"

# --- progress off a terminal: plain lines, never a carriage return ---------------------------
"$mirage" train --project "$work/p" --synthetic 8 --batch 2 --threads 1 --steps 10 --save-every 100 2>"$work/err"
check "a run logged to a file exits 0" test $? -eq 0
check "  writes no carriage return into the log" bash -c "! grep -q \$'\\r' '$work/err'"
check "  and ends on a plain progress line" grep -q "^step 10 " "$work/err"

# --- Ctrl-C ----------------------------------------------------------------------------------
# The binary itself in the background (a backgrounded shell function would be a subshell, and
# the signal would go to it).
"$mirage" train --project "$work/p" --synthetic 8 --batch 2 --threads 1 --quiet --save-every 100000 2>"$work/err" &
pid=$!
for _ in $(seq 1 600); do  # up to 60 s for the run to take its first steps
  grep -q "from step 8" "$work/err" 2>/dev/null && break
  sleep 0.1
done
sleep 1
kill -INT "$pid"
wait "$pid"
check "Ctrl-C exits 0" test $? -eq 0
check "  after saving" grep -q "saving the checkpoint" "$work/err"
saved=$(grep -o "step [0-9]* saved" "$work/err" | grep -o "[0-9]*")
check "  a step past 8 ($saved)" test "${saved:-0}" -gt 8
check "  that the newest checkpoint holds" test "$(basename "$(newest)")" = "$(printf 'checkpoint-%012d.mirage' "${saved:-0}")"

# --- bad input -------------------------------------------------------------------------------
before=$(fingerprint)
"$mirage" train --project "$work/p" --a "$work/nothing" --b "$work/nothing" --steps 1 --quiet 2>"$work/err"
check "a missing face set exits 1" test $? -eq 1
check "  with one line naming it" one_error "nothing"

mkdir -p "$work/empty"
"$mirage" train --project "$work/p" --a "$work/empty" --b "$work/empty" --steps 1 --quiet 2>"$work/err"
check "a folder without a face set exits 1" test $? -eq 1
check "  with one line" one_error "empty"

train --steps 100 --device cuda 2>"$work/err"
check "--device cuda without CUDA exits 1" test $? -eq 1
check "  with one line saying so" one_error "cuda.* is not available"

train --steps 100 --preset original 2>"$work/err"
check "another preset's checkpoint exits 1" test $? -eq 1
check "  with one line naming both presets" one_error "lite"

train --steps 100 --save-every 1 --device nonsense 2>"$work/err"
check "an unknown device exits non-zero" test $? -ne 0
check "the checkpoints are untouched so far" test "$(fingerprint)" = "$before"

# A full disk, simulated with a 1 MB file-size limit (writes then fail with EFBIG; SIGXFSZ is
# ignored, as the signal a real full disk does not send).
(trap '' XFSZ; ulimit -f 1024; exec "$mirage" train --project "$work/p" --synthetic 8 --batch 2 --threads 1 \
   --quiet --steps 100 --save-every 2) 2>"$work/err"
check "a full disk during save exits 1" test $? -eq 1
check "  with one line saying the checkpoint could not be written" one_error "cannot write .*checkpoint"
check "  the checkpoints are untouched" test "$(fingerprint)" = "$before"
check "  and no temporary file is left" test -z "$(find "$work/p/model" -name '*.tmp*')"

newest_file=$(newest)
cp "$newest_file" "$work/good.mirage"
head -c 100000 "$work/good.mirage" >"$newest_file"
damaged=$(sha256sum <"$newest_file")
train --steps 100 2>"$work/err"
check "a damaged newest checkpoint exits 1" test $? -eq 1
check "  with one line naming the file" one_error "$(basename "$newest_file")"
check "  and saying which older one to resume from" grep -q "move it aside" "$work/err"
check "  the damaged file is left as it was" test "$(sha256sum <"$newest_file")" = "$damaged"

printf 'not a checkpoint at all\n' >"$newest_file"
train --steps 100 2>"$work/err"
check "a foreign file under a checkpoint name exits 1" test $? -eq 1
check "  with one line" one_error "$(basename "$newest_file")"

finish
