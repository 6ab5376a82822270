#!/usr/bin/env python3
"""How much of an FP32 frame's work lies on the pixels a Dynamic-ResQ residual frame may change.

Reads a `resq bench --json` of fp32 and one of Dynamic-ResQ with --change-tracking on the same
model, and weights each node's FP32 time by the share of its output pixels that may differ from
the keyframe's (the tracked run's `changed_share`, mean over its residual frames). The sum is
what a residual frame would cost if every node computed only those pixels, at FP32 speed, with
nothing else to do (no policy, no keyframe state, no bookkeeping): a lower bound for any
executor that keeps this method's outputs. Prints the largest nodes and the total, as markdown.

Usage: bench/changed_work.py FP32_JSON TRACKED_JSON [--top N]
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fp32")
    ap.add_argument("tracked")
    ap.add_argument("--top", type=int, default=10, help="nodes listed (default 10)")
    a = ap.parse_args()
    fp, tr = (json.load(open(f)) for f in (a.fp32, a.tracked))
    if fp["bits"] != "fp32":
        sys.exit(f"{a.fp32}: bits is {fp['bits']}, expected fp32")
    if not tr.get("change_tracking"):
        sys.exit(f"{a.tracked}: not a --change-tracking run")
    if [l["name"] for l in fp["layers"]] != [l["name"] for l in tr["layers"]]:
        sys.exit(f"{a.fp32} and {a.tracked}: not the same model's nodes")
    rows = [(l["ms_per_frame"] * t["changed_share"], l["ms_per_frame"], t["changed_share"],
             l["op"], l["name"]) for l, t in zip(fp["layers"], tr["layers"])]
    total = sum(r[1] for r in rows)
    changed = sum(r[0] for r in rows)
    frame = fp["frame_ms"]["mean"]
    print(f"FP32 nodes {total:.3f} ms/frame (frame mean {frame:.3f}); on the pixels that may change "
          f"({tr['bits']} T={tr['T']} tau={tr['tau']}): {changed:.3f} ms, "
          f"{changed / frame:.3f} x an FP32 frame")
    print()
    print("| node | op | fp32 ms | changed share | fp32 ms x share |")
    print("|---|---|---|---|---|")
    for w, ms, share, op, name in sorted(rows, reverse=True)[: a.top]:
        print(f"| {name} | {op} | {ms:.4f} | {share:.3f} | {w:.4f} |")


if __name__ == "__main__":
    main()
