#!/usr/bin/python3
"""Runs every query of a Grafana dashboard against Prometheus' HTTP API until each returns data.

Takes every panel target's and every annotation's `expr`, substitutes the Grafana variables
($stream, $__rate_interval, $__interval, $__range), runs it as an instant query, and checks the
`stream` template variable's label_values() through the label API. Polls until each of them
has returned data once, or --timeout passes, then names each panel (or annotation) and expression that
failed or returned no data. Exit 0: all return data; 1: some do not; 2: unusable dashboard.
"""

import argparse
import json
import math
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dashboard", required=True, help="Grafana dashboard JSON")
    p.add_argument("--prometheus", required=True, help="Prometheus base URL, http://HOST:PORT")
    p.add_argument("--stream", required=True, help="value for $stream (a stream id, or .*)")
    p.add_argument("--window", default="30s", help="value for $__rate_interval, $__interval, "
                   "$__range (default %(default)s)")
    p.add_argument("--timeout", type=float, default=60, help="seconds to keep polling")
    return p.parse_args()


def panels(items):
    """Every panel, including those nested in collapsed rows."""
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


def queries(dashboard):
    """(where, expr) for each panel target and annotation with a PromQL expression."""
    found = []
    for panel in panels(dashboard.get("panels", [])):
        if panel.get("type") == "row":
            continue
        exprs = [t["expr"] for t in panel.get("targets", []) if t.get("expr")]
        if not exprs:
            raise ValueError(f"panel {panel.get('title')!r} has no query")
        found += [(f"panel {panel.get('title')!r}", e) for e in exprs]
    for note in dashboard.get("annotations", {}).get("list", []):
        if note.get("expr"):
            found.append((f"annotation {note.get('name')!r}", note["expr"]))
    return found


def substitute(expr, values):
    for name, value in values.items():
        expr = re.sub(r"\$\{%s\}|\[\[%s\]\]|\$%s\b" % (name, name, name), value, expr)
    if "$" in expr:
        raise ValueError(f"unknown Grafana variable left in {expr}")
    return expr


def get(base, path, params):
    url = f"{base}{path}?{urllib.parse.urlencode(params, doseq=True)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return json.load(reply)
    except urllib.error.HTTPError as e:  # Prometheus answers bad queries with 400 and a JSON error
        return json.load(e)


def problem(base, expr):
    """None when the instant query returns at least one number; else what is wrong."""
    reply = get(base, "/api/v1/query", {"query": expr})
    if reply.get("status") != "success":
        return f"error: {reply.get('errorType')}: {reply.get('error')}"
    values = [float(r["value"][1]) for r in reply["data"]["result"]]
    if not values:
        return "no data"
    if all(math.isnan(v) for v in values):
        return "only NaN"
    return None


def load(path, variables):
    """The substituted (where, expr) checks and the `stream` variable's label_values() match."""
    with open(path) as f:
        dashboard = json.load(f)
    checks = [(where, substitute(expr, variables)) for where, expr in queries(dashboard)]
    if not checks:
        raise ValueError("no panel queries")
    variable = next((v for v in dashboard.get("templating", {}).get("list", [])
                     if v.get("name") == "stream"), {})
    match = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", variable.get("definition", ""))
    if not match:
        raise ValueError("no variable 'stream' defined as label_values(metric, label)")
    return checks, match


def main():
    args = parse_args()
    variables = {"stream": args.stream, "__rate_interval": args.window,
                 "__interval": args.window, "__range": args.window}
    try:
        checks, match = load(args.dashboard, variables)
    except (OSError, ValueError, KeyError) as e:
        print(f"dashboard_queries: {args.dashboard}: {e}", file=sys.stderr)
        return 2

    # A check passes once it returns data: the annotation's increase() has data only for a
    # window after the update, so later polls for slower panels must not undo it.
    pending = dict.fromkeys(checks)
    deadline = time.monotonic() + args.timeout
    while True:
        for check in list(pending):
            pending[check] = problem(args.prometheus, check[1])
            if pending[check] is None:
                del pending[check]
        labels = get(args.prometheus, f"/api/v1/label/{match[2]}/values", {"match[]": match[1]})
        values = labels.get("data") or []
        label_problem = None if args.stream in (".*", *values) else f"{args.stream!r} not in {values}"
        if (not pending and not label_problem) or time.monotonic() > deadline:
            break
        time.sleep(1)
    for where, expr in checks:
        print(f"{'FAIL' if (where, expr) in pending else 'ok  '} {where}: {expr}")
    failures = [(where, expr, p) for (where, expr), p in pending.items()]
    if label_problem:
        failures.append(("variable 'stream'", match[0], label_problem))
    for where, expr, p in failures:
        print(f"FAIL: {where}: {p}: {expr}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
