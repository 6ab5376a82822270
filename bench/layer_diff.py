#!/usr/bin/env python3
"""Per-layer time of two sets of `resq bench --json` reports: each layer's median ms/frame over
the runs of each set and the difference, largest first.

Usage: python3 bench/layer_diff.py --before A1.json [A2.json ...] --after B1.json [B2.json ...] [--top N]
"""
import argparse
import json
import statistics
import sys


def medians(paths):
    runs = [json.load(open(p)) for p in paths]
    ops, times = {}, {}
    for run in runs:
        for layer in run["layers"]:
            ops[layer["name"]] = layer["op"]
            times.setdefault(layer["name"], []).append(layer["ms_per_frame"])
    return ops, {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", nargs="+", required=True, help="reports of the first set")
    parser.add_argument("--after", nargs="+", required=True, help="reports of the second set")
    parser.add_argument("--top", type=int, default=15, help="layers printed from each end")
    args = parser.parse_args()
    ops, before = medians(args.before)
    _, after = medians(args.after)
    missing = sorted(set(before) ^ set(after))
    if missing:
        sys.exit(f"layer_diff: the sets name different layers: {', '.join(missing[:5])}")
    rows = sorted(((after[n] - before[n], n) for n in before), reverse=True)
    shown = rows if len(rows) <= 2 * args.top else rows[:args.top] + rows[-args.top:]
    print("| layer | op | before ms | after ms | difference |\n|---|---|---|---|---|")
    for d, n in shown:
        print(f"| {n} | {ops[n]} | {before[n]:.3f} | {after[n]:.3f} | {d:+.3f} |")
    print(f"| total | | {sum(before.values()):.3f} | {sum(after.values()):.3f} | "
          f"{sum(after.values()) - sum(before.values()):+.3f} |")


if __name__ == "__main__":
    main()
