#!/usr/bin/env python3
"""One attention shape in PyTorch on the CPU, timed: the PyTorch side of `ahat bench kernels`.

Prints ONE JSON line with the keys impl, n, dk, heads, batch, rule, mask, precision, ms,
scores_per_s, peak_bytes, status (and note when status is not "ok"); see bench/README.md.

  --rule softmax  torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=beta,
                  is_causal=...)                                    impl "torch-sdpa"
  --rule hard     scores -> masked -inf -> row max -> tie mask -> average of the tied values,
                  the way a PyTorch user writes average hard attention  impl "torch-hard-emulation"

Inputs: torch.manual_seed(0), then q, k, v = randn(batch, heads, n, dk) at the precision.
Timing: one warm-up call, then --repeats calls; ms is their median. Threads: 2.
Memory: peak resident set growth during the calls (VmHWM reset through /proc/self/clear_refs,
else ru_maxrss growth), inputs not counted. Allocation failure gives status "oom", never a
traceback; so does an allocation above --memory-limit (an address-space limit set with
setrlimit, so that a shape that cannot fit fails cleanly instead of waking the OOM killer).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--n", type=int, required=True, help="positions (queries = keys)")
    p.add_argument("--dk", type=int, required=True, help="key width = value width")
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--rule", choices=["hard", "softmax"], required=True)
    p.add_argument("--mask", choices=["none", "causal"], default="none",
                   help="causal: key j allowed for query i iff j <= i")
    p.add_argument("--precision", choices=["float", "double"], default="float")
    p.add_argument("--beta", type=float, default=1.0, help="softmax inverse temperature (SDPA's scale)")
    p.add_argument("--tie-tolerance", type=float, default=None,
                   help="hard: j ties iff max - s_ij <= tol * max(1, |max|); default 1e-4 float, 1e-9 double")
    p.add_argument("--repeats", type=int, default=5, help="timed calls after one warm-up (median reported)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    p.add_argument("--memory-limit", type=float, default=None,
                   help="bytes of address space this process may add (setrlimit RLIMIT_AS); "
                        "default: 90%% of MemAvailable at start; 0 = no limit")
    a = p.parse_args(argv)
    if a.n < 1 or a.dk < 1 or a.heads < 1 or a.batch < 1 or a.repeats < 1 or a.threads < 1:
        p.error("--n, --dk, --heads, --batch, --repeats and --threads must be >= 1")
    if a.tie_tolerance is None:
        a.tie_tolerance = 1e-4 if a.precision == "float" else 1e-9
    return a


# ---------------------------------------------------------------------------------------------
# Memory: peak resident set growth.

def _proc_status_kib(field: str):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class PeakRss:
    """Peak RSS growth over a region. On Linux, writing 5 to /proc/self/clear_refs resets the
    high-water mark VmHWM to the current RSS; the growth is then VmHWM(end) - VmRSS(start).
    Elsewhere (or where that write is refused) it falls back to ru_maxrss(end) - ru_maxrss(start),
    which misses a peak that stays below an earlier one."""

    def start(self):
        self.method = "ru_maxrss"
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            rss = _proc_status_kib("VmRSS")
            if rss is not None and _proc_status_kib("VmHWM") is not None:
                self.method = "VmHWM"
                self.base_kib = rss
                return
        except OSError:
            pass
        self.base_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    def growth_bytes(self) -> int:
        if self.method == "VmHWM":
            peak = _proc_status_kib("VmHWM")
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return max(0, (peak or 0) - self.base_kib) * 1024


def limit_address_space(extra_bytes):
    """Let the process grow its address space by at most extra_bytes beyond what it has now, so
    that an allocation that does not fit raises (status "oom") rather than invoking the OOM
    killer on a shared machine."""
    if extra_bytes is None:
        avail = None
        try:
            with open("/proc/meminfo") as f:
                for line in f:
                    if line.startswith("MemAvailable:"):
                        avail = int(line.split()[1]) * 1024
        except OSError:
            pass
        if avail is None:
            return None
        extra_bytes = 0.9 * avail
    if extra_bytes <= 0:
        return None
    size_kib = _proc_status_kib("VmSize")
    if size_kib is None:
        return None
    limit = int(size_kib * 1024 + extra_bytes)
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        return None
    return int(extra_bytes)


# ---------------------------------------------------------------------------------------------
# The two attentions.

def hard_attention(torch, q, k, v, causal: bool, tol: float):
    """Average hard attention as a PyTorch user writes it (materialises the n x n scores):
    scores = q k^T; masked positions -inf; m = row max; key j is selected iff
    (m - s_ij) <= tol * max(1, |m|); out = (sel as 0/1) @ v / |sel|, and 0 for an empty row.
    Memory-conscious where it costs nothing: the mask is applied in place and m - scores
    overwrites the scores (bit-identical to computing it into a new tensor)."""
    n = q.shape[-2]
    scores = q @ k.transpose(-2, -1)
    if causal:
        upper = torch.ones(n, n, dtype=torch.bool, device=q.device).triu_(1)
        scores.masked_fill_(upper, float("-inf"))
        del upper
    m = scores.amax(dim=-1, keepdim=True)
    thr = tol * m.abs().clamp_min(1.0)
    torch.sub(m, scores, out=scores)            # scores := m - scores
    sel = scores <= thr                          # NaN (empty row: -inf - -inf) and +inf (masked) are False
    del scores
    w = sel.to(q.dtype)
    del sel
    count = w.sum(dim=-1, keepdim=True)
    out = (w @ v) / count.clamp_min(1.0)         # empty rows: 0 / 1 = 0
    return out


def softmax_attention(torch, q, k, v, causal: bool, beta: float):
    return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=beta)


def is_oom(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    msg = str(exc).lower()
    return any(s in msg for s in ("not enough memory", "out of memory", "cannot allocate",
                                  "failed to allocate", "bad_alloc", "alloc"))


def short(msg: str, limit: int = 300) -> str:
    msg = " ".join(str(msg).split())
    return msg if len(msg) <= limit else msg[: limit - 3] + "..."


def main(argv=None) -> int:
    a = parse_args(argv)
    impl = "torch-sdpa" if a.rule == "softmax" else "torch-hard-emulation"
    causal = a.mask == "causal"
    pairs = a.n * (a.n + 1) // 2 if causal else a.n * a.n
    result = {
        "impl": impl, "n": a.n, "dk": a.dk, "heads": a.heads, "batch": a.batch,
        "rule": a.rule, "mask": a.mask, "precision": a.precision,
        "ms": None, "scores_per_s": None, "peak_bytes": None, "status": "ok",
    }

    def emit():
        print(json.dumps(result), flush=True)

    try:
        import torch
    except Exception as e:  # noqa: BLE001 - reported, never a traceback
        result["status"] = "error"
        result["note"] = "torch not importable: " + short(e)
        emit()
        return 0

    torch.set_num_threads(a.threads)
    dtype = torch.float32 if a.precision == "float" else torch.float64
    peak = PeakRss()
    limit = None
    try:
        torch.manual_seed(0)
        shape = (a.batch, a.heads, a.n, a.dk)
        q = torch.randn(shape, dtype=dtype)
        k = torch.randn(shape, dtype=dtype)
        v = torch.randn(shape, dtype=dtype)
        if a.rule == "hard":
            def call():
                return hard_attention(torch, q, k, v, causal, a.tie_tolerance)
        else:
            def call():
                return softmax_attention(torch, q, k, v, causal, a.beta)
        limit = limit_address_space(a.memory_limit)
        peak.start()
        times = []
        with torch.inference_mode():
            out = call()  # warm-up
            del out
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                out = call()
                times.append(time.perf_counter() - t0)
                del out
        ms = statistics.median(times) * 1e3
        result["ms"] = round(ms, 4)
        result["scores_per_s"] = a.batch * a.heads * pairs / (ms / 1e3) if ms > 0 else None
        result["peak_bytes"] = peak.growth_bytes()
    except BaseException as e:  # noqa: BLE001 - reported, never a traceback
        if isinstance(e, KeyboardInterrupt):
            raise
        if hasattr(peak, "method"):
            result["peak_bytes"] = peak.growth_bytes()
        if is_oom(e):
            result["status"] = "oom"
            note = short(e)
            if limit:
                note += f" (address-space limit: {limit} bytes beyond the start)"
            result["note"] = note
        else:
            result["status"] = "error"
            result["note"] = type(e).__name__ + ": " + short(e)
    emit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
