#!/usr/bin/env python3
"""ahat's GPU attention kernels against PyTorch on the same GPU, shapes measured in one run.

Runs `AHAT bench kernels --device cuda --json` (ahat's kernels and the GPU's ceilings: cuBLAS
GEMM per precision, a device copy), then on the same shapes in this process:

  softmax: torch.nn.functional.scaled_dot_product_attention (scale 1/sqrt(dk), is_causal for
           the causal mask);
  hard:    PyTorch's emulation of average-hard attention: scores = q k^T, the row maximum, the
           tie mask scores >= max - tol max(1, |max|), the mask's average of the values (the
           n x n scores are materialized; out of memory is reported as "oom").

Each side is timed with CUDA events (median of --repeats after a warm-up) on random normal
inputs, batch 1 and --heads heads. Prints one JSON line per shape with both times and
ratio = torch_ms / ahat_ms (ahat's speed-up; the acceptance of docs/numeric.md reads
ahat hard bfloat16 against torch softmax SDPA as sdpa_ratio = sdpa_ms / ahat_ms), then a
table. Without torch or a GPU it says so and exits 0. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys


def run_ahat(args):
    cmd = [args.ahat, "bench", "kernels", "--device", "cuda", "--json", "--n", args.n, "--dk", args.dk, "--rule", args.rule,
           "--mask", args.mask, "--precision", args.precision, "--heads", str(args.heads), "--repeats", str(args.repeats)]
    print("# " + " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def timed(torch, f, repeats):
    f()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        f()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2]


def torch_point(torch, rec, repeats):
    n, dk, heads = rec["n"], rec["dk"], rec["heads"]
    dtype = {"bfloat16": torch.bfloat16, "float": torch.float32, "double": torch.float64}[rec["precision"]]
    causal = rec["mask"] == "causal"
    tol = {"bfloat16": 2.0 ** -8, "float": 2.0 ** -20, "double": 2.0 ** -40}[rec["precision"]]
    try:
        g = torch.Generator(device="cuda").manual_seed(1)
        q, k, v = (torch.randn(1, heads, n, dk, device="cuda", dtype=dtype, generator=g) for _ in range(3))
        if rec["rule"] == "softmax":
            F = torch.nn.functional

            def f():
                return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        else:
            mask = torch.ones(n, n, device="cuda", dtype=torch.bool).tril() if causal else None

            def f():
                s = q @ k.transpose(-1, -2)
                if mask is not None:
                    s = s.masked_fill(~mask, -math.inf)
                m = s.amax(dim=-1, keepdim=True)
                w = (s >= m - tol * m.abs().clamp(min=1)).to(dtype)
                return (w @ v) / w.sum(dim=-1, keepdim=True)
        ms = timed(torch, f, repeats)
        return {"status": "ok", "ms": ms}
    except torch.cuda.OutOfMemoryError:
        return {"status": "oom", "ms": None}
    except RuntimeError as e:  # no kernel for this dtype, and the like
        return {"status": "error: " + str(e).splitlines()[0][:120], "ms": None}
    finally:
        torch.cuda.empty_cache()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ahat", default="build/ahat")
    p.add_argument("--n", default="16384,65536")
    p.add_argument("--dk", default="64,128")
    p.add_argument("--rule", default="hard,softmax")
    p.add_argument("--mask", default="none")
    p.add_argument("--precision", default="bfloat16,float,double")
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    try:
        import torch
    except ImportError:
        print("torch not installed: comparison skipped")
        return 0
    if not torch.cuda.is_available():
        print("no CUDA device: comparison skipped")
        return 0
    rows = []
    for rec in run_ahat(args):
        t = torch_point(torch, rec, args.repeats)
        sdpa = None
        if rec["rule"] == "hard":  # the acceptance's peer: SDPA softmax on the same shape
            sdpa = torch_point(torch, dict(rec, rule="softmax"), args.repeats)
        row = {k: rec[k] for k in ("n", "dk", "heads", "rule", "mask", "precision")}
        row.update(ahat_ms=rec["ms"], torch_ms=t["ms"], torch_status=t["status"],
                   ratio=(t["ms"] / rec["ms"]) if t["ms"] else None,
                   sdpa_ms=(sdpa or t)["ms"] if (rec["rule"] == "hard" and sdpa) or rec["rule"] == "softmax" else None,
                   ahat_tflops_4dk=rec["sdpa_flops_per_s"] / 1e12, fraction_of_gemm=rec["fraction_of_gemm"],
                   gemm_tflops=rec["gemm_flops_per_s"] / 1e12, copy_tbs=rec["copy_bytes_per_s"] / 1e12,
                   rescans=rec["rescans"], max_abs_error=rec["max_abs_error"], elements_off=rec["elements_off"])
        row["sdpa_ratio"] = row["sdpa_ms"] / rec["ms"] if row["sdpa_ms"] else None
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"{'n':>7} {'dk':>4} {'rule':<8} {'mask':<7} {'prec':<9} {'ahat ms':>10} {'torch ms':>10} {'torch/ahat':>10} {'sdpa/ahat':>10} {'TF/s 4dk':>9} {'of GEMM':>8}")
    for r in rows:
        fmt = lambda x: f"{x:10.3f}" if isinstance(x, float) else f"{str(x):>10}"
        print(f"{r['n']:>7} {r['dk']:>4} {r['rule']:<8} {r['mask']:<7} {r['precision']:<9} {fmt(r['ahat_ms'])} "
              f"{fmt(r['torch_ms']) if r['torch_ms'] else r['torch_status'][:10]:>10} {fmt(r['ratio'])} {fmt(r['sdpa_ratio'])} "
              f"{r['ahat_tflops_4dk']:9.1f} {100 * r['fraction_of_gemm']:7.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
