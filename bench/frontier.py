#!/usr/bin/env python3
"""IoU (a `resq eval` report) against wall-clock (`resq bench` runs of its configurations) for
bench/frontier.sh.

  frontier.py --list REPORT               index|bits|T|tau per configuration
  frontier.py --bench-options REPORT ASSETS   the bench options that feed the report's frames
                                          (its clip from the asset directory ASSETS)
  frontier.py --table REPORT DIR ROUNDS   markdown tables, and DIR/frontier.json
"""
import json
import os
import statistics
import sys


def configurations(report):
    return json.load(open(report))["configurations"]


def bench_options(report, assets):
    d = json.load(open(report))
    video = os.path.join(assets, os.path.basename(d["video"]))
    options = ["--calibration", d["calibration"], "--video", video,
               "--start-frame", str(d["start_frame"])]
    # A short range is looped three times (over 100 frames, the timing is mostly noise).
    options += ["--frames", str(d["frames"])] if d["frames"] >= 100 else ["--repeat", "3"]
    return options


def label(c):
    text = c["bits"] if c["T"] == 1 else f'{c["bits"]} T={c["T"]}'
    return text if c.get("tau") is None else f'{text} tau={c["tau"]:g}'


def table(report, directory, rounds):
    configs = configurations(report)
    def load(name):
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            sys.exit(f"frontier.py: {path}: no such bench report (did bench/frontier.sh finish?)")
        return json.load(open(path))["frame_ms"]["mean"]

    ms = [[load(f"config{i}_{r}.json") for r in range(1, rounds + 1)] for i in range(len(configs))]
    ratios = [[] for _ in configs]
    for r in range(1, rounds + 1):  # against the fp32 runs just before and after
        for line in open(os.path.join(directory, f"order_{r}.txt")):
            i, k = map(int, line.split())
            reference = (load(f"fp32_{r}_{k}.json") + load(f"fp32_{r}_{k + 1}.json")) / 2
            ratios[i].append(ms[i][r - 1] / reference)
    fp32 = next(i for i, c in enumerate(configs) if c["bits"] == "fp32")
    rows = []
    for i, c in enumerate(configs):
        rows.append({"label": label(c), "bits": c["bits"], "T": c["T"], "tau": c.get("tau"),
                     "iou_mean": c["iou_mean"], "gbops_per_frame": c["gbops_per_frame"],
                     "ms_per_frame": statistics.median(ms[i]),
                     "ratio_to_fp32": statistics.median(ratios[i])})
    rows.sort(key=lambda row: (row["ratio_to_fp32"], -row["iou_mean"]))
    best = -1.0
    for row in rows:  # cheapest first: on the frontier when more accurate than every cheaper one
        row["frontier"] = row["iou_mean"] > best
        best = max(best, row["iou_mean"])
    d = json.load(open(report))
    print(f'{os.path.basename(d["video"])}, frames {d["start_frame"]}..'
          f'{d["start_frame"] + d["frames"] - 1}, {rounds} rounds; fp32 '
          f'{statistics.median(ms[fp32]):.3f} ms/frame\n')
    header = ("| configuration | IoU | ms/frame | x fp32 | GBOPs/frame |\n"
              "|---|---|---|---|---|")
    line = lambda r: (f'| `{r["label"]}` | {r["iou_mean"]:.3f} | {r["ms_per_frame"]:.3f} | '
                      f'{r["ratio_to_fp32"]:.3f} | {r["gbops_per_frame"]:.2f} |')
    print("Frontier (no configuration has at least the IoU at a lower ms/frame):\n")
    print(header)
    for r in rows:
        if r["frontier"]:
            print(line(r))
    print("\nAll configurations, cheapest first:\n")
    print(header)
    for r in rows:
        print(line(r))
    with open(os.path.join(directory, "frontier.json"), "w") as f:
        json.dump({"report": report, "rounds": rounds, "configurations": rows}, f, indent=1)


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--list":
        for i, c in enumerate(configurations(args[1])):
            tau = "" if c.get("tau") is None else f'{c["tau"]:g}'
            print(f'{i}|{c["bits"]}|{c["T"]}|{tau}')
    elif len(args) == 3 and args[0] == "--bench-options":
        print(" ".join(bench_options(args[1], args[2])))
    elif len(args) == 4 and args[0] == "--table":
        table(args[1], args[2], int(args[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
