#!/usr/bin/env python3
"""Markdown tables for docs/results.md from `resq eval --json` files (standard library only).

Usage: python3 scripts/results_tables.py CLIP.json [--budget CLIP.json EXTRA.json ...]
  CLIP.json            tables of one `resq eval` run (default grid)
  --budget FILES...    best IoU per scheme within GBOPs budgets, over all configurations of FILES
  --policy-cost INSPECT.json
                       from `resq inspect --json MODEL`: activation elements of the linear layers,
                       MACs per element, and the Dynamic-ResQ policy's BOPs per residual frame
"""
import math
import json
import sys


def cell(c):
    return f"{c['gbops_per_frame']:.2f} / {c['iou_mean']:.3f}"


def families(configs, scheme, key):
    rows = {}
    for c in configs:
        if c["scheme"] == scheme:
            rows.setdefault(key(c), {})[c["T"] if scheme != "dynamic" else c["tau"]] = c
    return rows


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return "\n".join(out)


def section(path):
    d = json.load(open(path))
    cs = d["configurations"]
    print(f"### {d['video'].split('/')[-1]}: frames {d['start_frame']}..{d['start_frame'] + d['frames'] - 1}"
          f" ({d['frames']} frames); fp32 {d['fp32_gbops_per_frame']:.2f} GBOPs/frame,"
          f" W8A8 {d['w8a8_gbops_per_frame']:.2f}\n")
    print("Frame quantization (every frame at one bit-width):\n")
    print(table(["bits", "GBOPs/frame", "x W8A8", "IoU", "mean abs dp", "SQNR dB"],
                [[c["bits"], f"{c['gbops_per_frame']:.2f}", f"{c['ratio_to_w8a8']:.2f}",
                  f"{c['iou_mean']:.3f}", f"{c['mean_abs_error']:.4f}",
                  "inf" if c["sqnr_db"] is None else f"{c['sqnr_db']:.1f}"]
                 for c in cs if c["scheme"] in ("fp32", "frame")]))
    for scheme, title in (("resq", "ResQ"), ("skip", "skip (network on keyframes only)")):
        fam = families(cs, scheme, lambda c: c["bits"])
        ts = sorted({t for r in fam.values() for t in r})
        print(f"\n{title}, GBOPs/frame / IoU by T:\n")
        print(table(["bits"] + [f"T={t}" for t in ts],
                    [[b] + [cell(r[t]) if t in r else "" for t in ts] for b, r in fam.items()]))
    fam = families(cs, "dynamic", lambda c: (c["bits"], c["T"]))
    taus = sorted({t for r in fam.values() for t in r})
    print("\nDynamic-ResQ, GBOPs/frame (policy included) / IoU / share of residual pixels at 0 bits,"
          " by tau:\n")
    print(table(["bits", "T"] + [f"tau={t:g}" for t in taus],
                [[b, t] + [f"{cell(r[x])} / {r[x]['residual_pixel_bits'].get('0', 0):.0%}"
                           if x in r else "" for x in taus] for (b, t), r in fam.items()]))
    print()


def budget(paths):
    cs = [c for p in paths for c in json.load(open(p))["configurations"]]
    w8a8 = json.load(open(paths[0]))["w8a8_gbops_per_frame"]
    schemes = [("frame", "frame", False), ("resq", "ResQ", False),
               ("dynamic", "Dynamic-ResQ", False), ("dynamic", "Dynamic-ResQ, policy not counted", True),
               ("skip", "skip", False)]

    def best(scheme, limit, free_policy):
        ok = [c for c in cs if c["scheme"] == scheme and
              c["gbops_per_frame"] - (c["policy_gbops_per_frame"] if free_policy else 0) <= limit + 1e-9]
        if not ok:
            return "-"
        c = max(ok, key=lambda x: x["iou_mean"])
        return f"{c['iou_mean']:.3f} `{c['label']}`"

    rows = []
    for share in (0.25, 0.375, 0.5, 0.625, 0.75, 1.0):
        limit = share * w8a8
        rows.append([f"{limit:.2f} ({share:g} x W8A8)"] +
                    [best(s, limit, free) for s, _, free in schemes])
    print(table(["GBOPs/frame at most"] + [t for _, t, _ in schemes], rows))
    print()


def policy_cost(path):
    layers = [l for l in json.load(open(path))["layers"] if l["op"] in ("Conv", "ConvTranspose")]
    elements = macs = dw_elements = dw_macs = 0
    for l in layers:
        n = math.prod(int(x) for x in l["inputs"].split(",")[0].split("x"))
        elements += n
        macs += l["macs"]
        if l["name"].startswith("depthwise"):
            dw_elements += n
            dw_macs += l["macs"]
    print(f"linear-layer input elements per frame: {elements / 1e6:.2f} M")
    print(f"MACs per element: {macs / elements:.1f} (depthwise layers: {dw_macs / dw_elements:.1f})")
    for pool in (2, 3):
        print(f"policy, {pool}-entry pool: {64 * pool * elements / 1e9:.2f} GBOPs per residual frame")
    print(f"W8A8 frame: {macs * 64 / 1e9:.2f} GBOPs, W8A4 frame: {macs * 32 / 1e9:.2f} GBOPs")


args = sys.argv[1:]
if args and args[0] == "--policy-cost":
    policy_cost(args[1])
elif args and args[0] == "--budget":
    budget(args[1:])
else:
    for p in args:
        section(p)
