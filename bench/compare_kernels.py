#!/usr/bin/env python3
"""ahat's attention kernels against PyTorch, shape by shape, both measured in one run.

For every shape of the issue's grid (n in {1024, 4096, 16384, 65536}, dk in {16, 64}, rule
hard and softmax, mask none and causal, precision float and double; 4 heads, batch 1) it runs,
each as a subprocess and interleaved (which side goes first alternates from shape to shape):

  AHAT bench kernels --json --n N --dk D --rule R --mask M --precision P --heads H --batch B
  python3 bench/torch_attention.py --n N --dk D --rule R --mask M --precision P --heads H --batch B

and prints one JSON line per shape, {"n", "dk", "heads", "batch", "rule", "mask", "precision",
"first", "ahat": {...}, "torch": {...}, "ratio"}, with ratio = torch ms / ahat ms (ahat's
speed-up; null unless both sides are "ok"), then a plain table. Without torch it prints one
line saying the comparison is skipped and exits 0. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_SCRIPT = os.path.join(HERE, "torch_attention.py")
SKIP_MESSAGE = "torch not installed: comparison skipped (pip install -r requirements.txt)"

FULL_N = [1024, 4096, 16384, 65536]


def csv_list(kind, choices=None):
    def parse(text):
        items = [t.strip() for t in text.split(",") if t.strip()]
        if not items:
            raise argparse.ArgumentTypeError("empty list")
        out = []
        for t in items:
            if kind is int:
                try:
                    x = int(t)
                except ValueError:
                    raise argparse.ArgumentTypeError(f"not an integer: {t}")
                if x < 1:
                    raise argparse.ArgumentTypeError(f"must be >= 1: {t}")
            else:
                x = t
                if choices and x not in choices:
                    raise argparse.ArgumentTypeError(f"{t} is not one of {', '.join(choices)}")
            out.append(x)
        return out
    return parse


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--ahat", default="build/ahat", help="the ahat binary (default build/ahat)")
    p.add_argument("--n", type=csv_list(int), default=None,
                   help="comma-separated sizes (default 1024,4096,16384,65536)")
    p.add_argument("--dk", type=csv_list(int), default=[16, 64], help="key widths (default 16,64)")
    p.add_argument("--rule", type=csv_list(str, ["hard", "softmax"]), default=["hard", "softmax"])
    p.add_argument("--mask", type=csv_list(str, ["none", "causal"]), default=["none", "causal"])
    p.add_argument("--precision", type=csv_list(str, ["float", "double"]), default=["float", "double"])
    p.add_argument("--quick", action="store_true", help="only the sizes n <= 4096")
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--repeats", type=int, default=None,
                   help="torch_attention.py --repeats (default: 5 for n <= 4096, 3 for n <= 16384, 1 above)")
    p.add_argument("--timeout", type=float, default=900, help="seconds per subprocess (default 900)")
    p.add_argument("--ahat-args", default="", help="extra arguments for ahat bench kernels (one string)")
    p.add_argument("--torch-args", default="", help="extra arguments for torch_attention.py (one string)")
    p.add_argument("--python", default=sys.executable, help="interpreter for torch_attention.py")
    a = p.parse_args(argv)
    if a.n is None:
        a.n = list(FULL_N)
    if a.quick:
        a.n = [x for x in a.n if x <= 4096]
    if a.heads < 1 or a.batch < 1 or (a.repeats is not None and a.repeats < 1):
        p.error("--heads, --batch and --repeats must be >= 1")
    return a


def torch_available(python: str) -> bool:
    try:
        r = subprocess.run([python, "-c", "import torch"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=300)
        return r.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def shape_args(s):
    return ["--n", str(s["n"]), "--dk", str(s["dk"]), "--rule", s["rule"], "--mask", s["mask"],
            "--precision", s["precision"], "--heads", str(s["heads"]), "--batch", str(s["batch"])]


def matches(rec, s):
    return all(rec.get(k) == s[k] for k in ("n", "dk", "rule", "mask", "precision"))


def run_side(cmd, timeout, want_impl, shape):
    """Run one side; return its result dict (the JSON line for this shape) or a failure record."""
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "note": f"no result within {timeout:g} s"}
    except OSError as e:
        return {"status": "error", "note": f"cannot run {cmd[0]}: {e}"}
    wall = time.perf_counter() - t0
    records, others = [], []
    for line in r.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(rec, dict):
            continue
        (records if (want_impl(rec.get("impl")) and matches(rec, shape)) else others).append(rec)
    if records:
        rec = dict(records[-1])
        if others:
            rec["other_lines"] = others  # e.g. ahat's ceilings (GEMM, streaming copy)
        if r.returncode != 0:
            rec.setdefault("note", f"exit status {r.returncode}")
        rec["wall_s"] = round(wall, 3)
        return rec
    err = " ".join(r.stderr.split())[-400:]
    return {"status": "error",
            "note": f"exit status {r.returncode}, no result line for this shape" + (f": {err}" if err else ""),
            **({"other_lines": others} if others else {})}


def fmt_ms(rec):
    st = rec.get("status")
    if st == "ok" and isinstance(rec.get("ms"), (int, float)):
        return f"{rec['ms']:.3f}"
    return str(st)


def fmt_rate(rec):
    x = rec.get("scores_per_s")
    return f"{x:.3g}" if rec.get("status") == "ok" and isinstance(x, (int, float)) else "-"


def fmt_mib(rec):
    x = rec.get("peak_bytes")
    return f"{x / 2**20:.1f}" if isinstance(x, (int, float)) else "-"


def print_table(rows, out=sys.stdout):
    head = ["n", "dk", "rule", "mask", "prec", "ahat ms", "torch ms", "ratio",
            "ahat scores/s", "torch scores/s", "ahat MiB", "torch MiB", "torch impl"]
    body = []
    for r in rows:
        a, t = r["ahat"], r["torch"]
        ratio = f"{r['ratio']:.2f}x" if isinstance(r.get("ratio"), (int, float)) else "-"
        body.append([str(r["n"]), str(r["dk"]), r["rule"], r["mask"], r["precision"],
                     fmt_ms(a), fmt_ms(t), ratio, fmt_rate(a), fmt_rate(t), fmt_mib(a), fmt_mib(t),
                     str(t.get("impl", "-"))])
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.rjust(w) if i < 2 or 4 < i < 12 else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    print(line(head), file=out)
    print(line(["-" * w for w in widths]), file=out)
    for b in body:
        print(line(b), file=out)
    print("ratio = torch ms / ahat ms (> 1: ahat is faster); peak = resident memory growth", file=out)


def main(argv=None) -> int:
    a = parse_args(argv)
    if not torch_available(a.python):
        print(SKIP_MESSAGE)
        return 0
    if not os.path.exists(a.ahat):
        print(f"compare_kernels: no ahat binary at {a.ahat} (build it with scripts/setup.sh, or pass --ahat)",
              file=sys.stderr)
        return 2

    shapes = [{"n": n, "dk": dk, "heads": a.heads, "batch": a.batch, "rule": rule, "mask": mask,
               "precision": prec}
              for n in a.n for dk in a.dk for rule in a.rule for mask in a.mask for prec in a.precision]
    ahat_extra = shlex.split(a.ahat_args)
    torch_extra = shlex.split(a.torch_args)
    rows = []
    for idx, s in enumerate(shapes):
        repeats = a.repeats or (5 if s["n"] <= 4096 else 3 if s["n"] <= 16384 else 1)
        ahat_cmd = [a.ahat, "bench", "kernels", "--json", *shape_args(s), *ahat_extra]
        torch_cmd = [a.python, TORCH_SCRIPT, *shape_args(s), "--repeats", str(repeats), *torch_extra]
        sides = [("ahat", ahat_cmd, lambda impl: impl == "ahat-numeric"),
                 ("torch", torch_cmd, lambda impl: isinstance(impl, str) and impl.startswith("torch-"))]
        if idx % 2 == 1:
            sides.reverse()
        print(f"[{idx + 1}/{len(shapes)}] n={s['n']} dk={s['dk']} {s['rule']} {s['mask']} {s['precision']}"
              f" ({sides[0][0]} first)", file=sys.stderr, flush=True)
        res = {}
        for name, cmd, want in sides:
            res[name] = run_side(cmd, a.timeout, want, s)
        ratio = None
        ta, tt = res["ahat"], res["torch"]
        if (ta.get("status") == "ok" and tt.get("status") == "ok"
                and isinstance(ta.get("ms"), (int, float)) and isinstance(tt.get("ms"), (int, float))
                and ta["ms"] > 0):
            ratio = tt["ms"] / ta["ms"]
        row = {**s, "first": sides[0][0], "ahat": ta, "torch": tt,
               "ratio": round(ratio, 4) if ratio is not None else None}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
