#!/usr/bin/env bash
# Data-parallel `mirage train` as processes on localhost, on generated faces and the tiny model:
# two ranks train and rank 0 alone writes; a rank killed with SIGKILL mid-run makes the other stop
# within the timeout with one line naming it, and the checkpoint left behind resumes with world
# size 1; ranks that disagree are refused at the start; a port in use and a master that never
# comes up are one line and a non-zero exit within the timeout; torchrun launches the same binary.
# Usage: distributed_e2e.sh <mirage binary>
set -uo pipefail
mirage=$1
source "$(dirname "$0")/../support/cli_check.sh"
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
train() { "$mirage" train --synthetic 8 --preset tiny --batch 2 --threads 1 --quiet --dist-timeout 5 "$@"; }
# The line that is not the header, the "waiting" line or a log line.
error_lines() { grep -v '^mirage train: tiny preset\|^mirage train: rank .* waiting\|^\[info\]\|^\[warn\]' "$1"; }
one_error() { test "$(error_lines "$1" | wc -l)" -eq 1 && error_lines "$1" | grep -q "$2"; }

# --- two ranks ---------------------------------------------------------------------------------
p=$(port)
train --project "$work/a" --steps 6 --save-every 3 --world-size 2 --rank 0 --master "127.0.0.1:$p" 2>"$work/r0" &
r0=$!
train --project "$work/b" --steps 6 --save-every 3 --world-size 2 --rank 1 --master "127.0.0.1:$p" 2>"$work/r1"
s1=$?
wait $r0
s0=$?
cp "$work/r0" "$work/err"
check "two ranks: rank 0 exits 0" test $s0 -eq 0
check "  rank 1 exits 0" test $s1 -eq 0
check "  rank 0 saves step 6" grep -q "step 6 saved" "$work/r0"
check "  rank 1 leaves the saving to rank 0" grep -q "rank 1 done at step 6 (rank 0 saves)" "$work/r1"
check "  rank 0 writes the checkpoints" test -f "$work/a/model/checkpoint-000000000006.mirage"
check "  rank 1 writes no file" test ! -e "$work/b/model"
check "  the log says the group's size" grep -q '"world_size":2' "$work/a/model/train_log.jsonl"

# --- a rank killed mid-run ---------------------------------------------------------------------
p=$(port)
train --project "$work/k" --save-every 2 --world-size 2 --rank 0 --master "127.0.0.1:$p" 2>"$work/err" &
r0=$!
"$mirage" train --project "$work/k1" --synthetic 8 --preset tiny --batch 2 --threads 1 --quiet --dist-timeout 5 \
  --save-every 2 --world-size 2 --rank 1 --master "127.0.0.1:$p" 2>"$work/k1err" &
r1=$!
for _ in $(seq 1 600); do  # up to 60 s for the first checkpoint
  ls "$work/k/model"/checkpoint-*.mirage >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 0.5
kill -9 $r1
killed=$(date +%s%N)
wait $r1 2>/dev/null
wait $r0
s0=$?
took=$(( ($(date +%s%N) - killed) / 1000000 ))
check "rank 1 killed: rank 0 exits non-zero" test $s0 -ne 0
check "  within the 5 s timeout (took $took ms)" test "$took" -lt 5000
check "  with one line naming the lost rank" one_error "$work/err" "lost rank 1 of 2"
check "  that says which step it saved" grep -q "step [0-9]* saved in" "$work/err"
newest=$(ls "$work/k/model"/checkpoint-*.mirage | sort | tail -n 1)
step=$(basename "$newest" | grep -o '[1-9][0-9]*')
train --project "$work/k" --steps $((step + 2)) --save-every 100 2>"$work/err"
check "  the checkpoint resumes with world size 1" test $? -eq 0
check "  from step $step" grep -q "from step $step" "$work/err"

# --- ranks that disagree ------------------------------------------------------------------------
p=$(port)
train --project "$work/m" --steps 4 --world-size 2 --rank 0 --master "127.0.0.1:$p" 2>"$work/m0" &
r0=$!
train --project "$work/m1" --steps 4 --world-size 2 --rank 1 --master "127.0.0.1:$p" --seed 9 2>"$work/err"
s1=$?
wait $r0
s0=$?
check "different seeds: rank 1 refused" test $s1 -ne 0
check "  rank 0 refused" test $s0 -ne 0
check "  with one line naming the option" one_error "$work/err" "rank 1's seed is 9, rank 0's 1"
check "  the same on rank 0" one_error "$work/m0" "rank 1's seed is 9"
check "  and nothing written" test ! -e "$work/m/model/checkpoint-000000000004.mirage"

p=$(port)
train --project "$work/f" --steps 4 --world-size 2 --rank 0 --master "127.0.0.1:$p" 2>"$work/err" &
r0=$!
"$mirage" train --project "$work/f1" --synthetic 10 --preset tiny --batch 2 --threads 1 --quiet --dist-timeout 5 \
  --steps 4 --world-size 2 --rank 1 --master "127.0.0.1:$p" 2>"$work/f1err"
wait $r0
check "different face sets: refused with one line" one_error "$work/err" "face set A"

# --- no master, port in use ----------------------------------------------------------------------
p=$(port)
start=$(date +%s%N)
train --project "$work/n" --steps 4 --world-size 2 --rank 1 --master "127.0.0.1:$p" --dist-timeout 2 2>"$work/err"
s=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
check "no master: exits non-zero" test $s -ne 0
check "  with one line" one_error "$work/err" "no master at 127.0.0.1:$p within 2 s"
check "  within the timeout and a little (took $took ms)" test "$took" -lt 10000

p=$(port)
/usr/bin/python3 -c "import socket,time; s=socket.socket(); s.bind(('0.0.0.0',$p)); s.listen(); time.sleep(30)" &
holder=$!
sleep 0.5
train --project "$work/u" --steps 4 --world-size 2 --rank 0 --master "127.0.0.1:$p" --dist-timeout 2 2>"$work/err"
s=$?
kill $holder 2>/dev/null
check "port in use: exits non-zero" test $s -ne 0
check "  with one line naming the port" one_error "$work/err" "cannot listen on port $p"

train --project "$work/x" --steps 4 --world-size 2 2>"$work/err"
check "--world-size without --rank: exit 2" test $? -eq 2
check "  naming the flag" grep -q -- "--rank is required" "$work/err"

# --- torchrun ------------------------------------------------------------------------------------
if [ -x /usr/bin/torchrun ]; then
  p=$(port)
  # --redirects 2 --tee 2: Debian's torchrun 1.13 on Python 3.11 fails on its default "0"
  # (IntFlag no longer lists NONE); this keeps both streams on the console all the same.
  /usr/bin/torchrun --nnodes 1 --nproc_per_node 2 --master_port "$p" --redirects 2 --tee 2 --no_python \
    "$mirage" train --project "$work/t" --synthetic 8 --preset tiny --batch 2 --threads 1 --quiet \
    --steps 4 --save-every 100 >"$work/err" 2>&1
  check "torchrun --nproc_per_node 2: exits 0" test $? -eq 0
  check "  rank 0 saves step 4" test -f "$work/t/model/checkpoint-000000000004.mirage"
  check "  as a group of 2" grep -q '"world_size":2' "$work/t/model/train_log.jsonl"
else
  echo "skip torchrun (no /usr/bin/torchrun: apt-get install python3-torch)"
fi

finish
