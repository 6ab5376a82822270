#!/usr/bin/env python3
"""IoU (a `resq eval` report) against wall-clock (`resq bench` runs of its configurations) for
bench/frontier.sh.

  frontier.py --list REPORT               index|bits|T|tau per configuration
  frontier.py --bench-options REPORT ASSETS   the bench options that feed the report's frames
                                          (its clip from the asset directory ASSETS), one a line
  frontier.py --table REPORT DIR ROUNDS   markdown tables, DIR/frontier.json and, with gnuplot,
                                          DIR/frontier.png (IoU against x fp32, the frontier drawn)
"""
import json
import os
import shutil
import statistics
import subprocess
import sys

# The families of `resq eval --plot`, in its colours.
STYLE = {"fp32": "pt 3 ps 2 lc rgb 'black'", "frame": "pt 7 ps 1.3 lc rgb '#1f77b4'",
         "resq": "pt 5 ps 0.9 lc rgb '#d62728'", "dynamic": "pt 9 ps 1.1 lc rgb '#2ca02c'",
         "skip": "pt 13 ps 1.1 lc rgb '#7f7f7f'"}


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
    title = f'{os.path.basename(d["video"])}, {d["frames"]} frames, one core'
    plot(rows, title, os.path.join(directory, "frontier.png"))


def family(bits):
    if bits == "fp32":
        return "fp32"
    if "->" not in bits:
        return "frame"
    return "skip" if bits.endswith("skip") else "dynamic" if "{" in bits else "resq"


def plot(rows, title, png):
    """IoU against time, a point per configuration, the frontier as a step line (needs gnuplot)."""
    if not shutil.which("gnuplot"):
        print(f"frontier.py: no gnuplot, {png} not drawn (Debian: apt-get install gnuplot-nox)",
              file=sys.stderr)
        return
    quote = lambda text: "'" + text.replace("'", "''") + "'"  # gnuplot's single-quoted string
    script = ["set terminal pngcairo size 1100,700 font 'sans,10'", f"set output {quote(png)}",
              f"set title {quote(title + ': IoU against time')}", "set xlabel 'ms per frame / fp32 ms per frame'",
              "set ylabel 'mean IoU vs fp32'", "set grid", "set key outside right top"]
    # Down to a little below the frontier's cheapest point: collapsed configurations out of view.
    low = max(0.0, min(r["iou_mean"] for r in rows if r["frontier"]) - 0.05)
    script.append(f"set yrange [{low:.2f}:{min(1.05, 1 + (1 - low) * 0.05):.3f}]")
    plots = []
    for name, style in STYLE.items():
        points = [r for r in rows if family(r["bits"]) == name]
        if not points:
            continue
        script += [f"${name} << EOD"] + [f'{r["ratio_to_fp32"]} {r["iou_mean"]}' for r in points]
        script.append("EOD")
        plots.append(f"${name} using 1:2 with points {style} title '{name}'")
    script += ["$frontier << EOD"] + [f'{r["ratio_to_fp32"]} {r["iou_mean"]}'
                                      for r in rows if r["frontier"]] + ["EOD"]
    plots.append("$frontier using 1:2 with steps lw 1.5 lc rgb '#ff7f0e' title 'frontier'")
    script.append("plot " + ", ".join(plots))
    done = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True,
                          capture_output=True)
    if done.returncode != 0:
        sys.exit(f"frontier.py: gnuplot failed drawing {png}: {done.stderr.strip()}")


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--list":
        for i, c in enumerate(configurations(args[1])):
            tau = "" if c.get("tau") is None else f'{c["tau"]:g}'
            print(f'{i}|{c["bits"]}|{c["T"]}|{tau}')
    elif len(args) == 3 and args[0] == "--bench-options":
        print("\n".join(bench_options(args[1], args[2])))
    elif len(args) == 4 and args[0] == "--table":
        table(args[1], args[2], int(args[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
