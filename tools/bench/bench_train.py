#!/usr/bin/python3
"""Runs `mirage bench train` and both PyTorch peers (tools/bench/train_peer.py) in one go and
prints ms/step, samples/s, GFLOP/s and the ratios.

  tools/bench/bench_train.py --mirage build/bin/mirage --preset original --batch 16

The peers need Debian's python3-torch (tools/setup installs it); --python picks the interpreter
(default /usr/bin/python3, the one Debian's torch is installed for). The CPU's GEMM and convolution
peaks are measured in the same run (train_peer.py --form peaks), since they differ from machine to
machine (issue #4 quotes 196 / 410 GFLOP/s for fp32 / bf16 GEMM on its machine).
"""
import argparse
import json
import os
import subprocess
import sys

def run_json(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirage", default="build/bin/mirage")
    parser.add_argument("--preset", default="original", choices=["lite", "original", "hd"])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--python", default="/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable)
    args = parser.parse_args()
    common = ["--batch", str(args.batch), "--steps", str(args.steps), "--warmup", str(args.warmup)]
    mirage = run_json([args.mirage, "bench", "train", "--preset", args.preset, "--threads",
                       str(args.threads), "--json"] + common)
    peer = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_peer.py")
    peers = {form: run_json([args.python, peer, "--preset", args.preset, "--form", form,
                             "--threads", str(args.threads)] + common)
             for form in ("plain", "tuned")}
    peaks = run_json([args.python, peer, "--form", "peaks", "--threads", str(args.threads)])["gflops"]
    gflop = mirage["gflop_per_step"]
    print(f"train step, preset {args.preset}, batch {args.batch} per identity, {args.threads} threads "
          f"({gflop:.1f} GFLOP per step)")
    rows = [("mirage (" + mirage["precision"] + ")", mirage["ms_per_step"]),
            ("pytorch plain (fp32 eager)", peers["plain"]["ms_per_step"]),
            ("pytorch tuned (joint batch + bf16 autocast)", peers["tuned"]["ms_per_step"])]
    for name, ms in rows:
        print(f"  {name:45s} {ms:8.1f} ms/step  {2 * args.batch * 1000 / ms:7.1f} samples/s  "
              f"{gflop / (ms / 1000):6.1f} GFLOP/s")
    print(f"  speed-up vs plain: {peers['plain']['ms_per_step'] / mirage['ms_per_step']:.2f}x, "
          f"vs tuned: {peers['tuned']['ms_per_step'] / mirage['ms_per_step']:.2f}x")
    achieved = gflop / (mirage["ms_per_step"] / 1000)
    print("  peaks measured now: " + ", ".join(f"{name} {peak:.0f}" for name, peak in peaks.items()) +
          " GFLOP/s")
    print("  mirage against them: " +
          ", ".join(f"{100 * achieved / peak:.0f} % of {name}" for name, peak in peaks.items()))
    print(f"  data wait (mirage): {100 * mirage['data_wait_share']:.1f} % of step time")


if __name__ == "__main__":
    main()
