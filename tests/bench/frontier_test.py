#!/usr/bin/env python3
"""bench/frontier.py on made-up reports: which configurations are on the frontier, ratios against
the fp32 runs around each configuration, the plot, the bench options, and a missing run named.

Usage: frontier_test.py FRONTIER_PY
"""
import json
import os
import subprocess
import sys
import tempfile

frontier = sys.argv[1]


def run(*args):
    return subprocess.run([sys.executable, frontier, *args], capture_output=True, text=True)


def config(bits, T, tau, iou):
    return {"bits": bits, "T": T, "tau": tau, "iou_mean": iou, "gbops_per_frame": 1.0}


with tempfile.TemporaryDirectory() as d:
    report = os.path.join(d, "report.json")
    configs = [config("fp32", 1, None, 1.0), config("W8A8->skip", 6, None, 0.90),
               config("W8A8->W8A{0,4,8}", 6, 0.0003, 0.95), config("W8A8->W4A4", 4, None, 0.85)]
    json.dump({"calibration": "build/results/x.calib.json", "video": "/elsewhere/clip.avi",
               "start_frame": 100, "frames": 300, "configurations": configs}, open(report, "w"))

    listed = run("--list", report)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["0|fp32|1|", "1|W8A8->skip|6|",
                                     "2|W8A8->W8A{0,4,8}|6|0.0003", "3|W8A8->W4A4|4|"], listed.stdout

    options = run("--bench-options", report, "/assets").stdout.splitlines()
    assert options == ["--calibration", "build/results/x.calib.json", "--video",
                       "/assets/clip.avi", "--start-frame", "100", "--frames", "300"], options

    # One round: fp32 runs of 2 and 4 ms around configurations 0-1, of 4 and 6 ms around 2-3.
    def bench(name, ms):
        json.dump({"frame_ms": {"mean": ms}}, open(os.path.join(d, name), "w"))
    for k, ms in enumerate([2.0, 4.0, 6.0]):
        bench(f"fp32_1_{k}.json", ms)
    for i, (ms, k) in enumerate([(3.0, 0), (0.6, 0), (2.5, 1), (4.0, 1)]):
        bench(f"config{i}_1.json", ms)
        with open(os.path.join(d, "order_1.txt"), "a") as f:
            f.write(f"{i} {k}\n")
    table = run("--table", report, d, "1")
    assert table.returncode == 0, table.stderr
    rows = {r["label"]: r for r in json.load(open(os.path.join(d, "frontier.json")))["configurations"]}
    # Ratios against the mean of the fp32 runs before and after (not a round's first fp32 run).
    ratio = lambda label: rows[label]["ratio_to_fp32"]
    assert abs(ratio("fp32") - 1.0) < 1e-12, rows["fp32"]
    assert abs(ratio("W8A8->skip T=6") - 0.2) < 1e-12, rows
    assert abs(ratio("W8A8->W8A{0,4,8} T=6 tau=0.0003") - 0.5) < 1e-12, rows
    # W8A8->W4A4 costs more than the skip configuration and is less accurate: off the frontier.
    on = [label for label, r in rows.items() if r["frontier"]]
    assert sorted(on) == ["W8A8->W8A{0,4,8} T=6 tau=0.0003", "W8A8->skip T=6", "fp32"], on
    assert "| `W8A8->skip T=6` | 0.900 | 0.600 | 0.200 | 1.00 |" in table.stdout, table.stdout
    # The plot (scripts/deps.sh installs gnuplot).
    with open(os.path.join(d, "frontier.png"), "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n", "frontier.png is not a PNG"

    # A short range is looped.
    short = json.load(open(report))
    short["frames"] = 44
    json.dump(short, open(report, "w"))
    assert run("--bench-options", report, "/a b").stdout.splitlines()[3:] == [
        "/a b/clip.avi", "--start-frame", "100", "--repeat", "3"]

    # A run that is missing is named; a bad call prints the usage.
    os.remove(os.path.join(d, "config2_1.json"))
    missing = run("--table", report, d, "1")
    assert missing.returncode == 1 and "config2_1.json: no such bench report" in missing.stderr, missing
    assert run("--bogus").returncode == 1
print("frontier.py: all checks passed")
