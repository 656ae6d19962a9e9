#!/usr/bin/env python3
"""Every ahat command's machine-readable output loads into pandas with one call, as
docs/cli.md ("Output") says: --json with pd.read_json(lines=True) (one document is one line),
--csv with pd.read_csv; the numeric columns load as numbers.

Usage: check_outputs.py AHAT (run in the source tree). Exits 77 (CTest: skipped) when pandas
is not installed."""
import io
import os
import subprocess
import sys
import tempfile

try:
    import pandas as pd
    from pandas.api.types import is_bool_dtype, is_numeric_dtype
except ImportError:
    print("pandas is not installed: skipped")
    sys.exit(77)

AHAT = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="ahat_outputs_")


def ahat(*args):
    r = subprocess.run([AHAT, *args], capture_output=True, text=True)
    assert r.returncode == 0, (args, r.returncode, r.stderr)
    return r.stdout


def tmp(name):
    return os.path.join(TMP, name)


def check(label, text, kind, numeric, rows=None):
    """Load `text` with one pandas call and check the columns in `numeric`."""
    if kind == "json":
        df = pd.read_json(io.StringIO(text), lines=True)
    else:
        df = pd.read_csv(io.StringIO(text))
    assert len(df) > 0, label
    if rows is not None:
        assert len(df) == rows, (label, len(df), rows)
    for col in numeric:
        assert col in df.columns, (label, col, list(df.columns))
        assert is_numeric_dtype(df[col]) and not is_bool_dtype(df[col]), (label, col, df[col].dtype, df[col].head())
        assert df[col].notna().any(), (label, col)
    print("ok %-28s %-4s %3d rows, numeric: %s" % (label, kind, len(df), ", ".join(numeric)))
    return df


def both(label, args, numeric, rows=None):
    check(label, ahat(*args, "--json"), "json", numeric, rows)
    check(label, ahat(*args, "--csv"), "csv", numeric, rows)


# single results: one document, one row
check("eval", ahat("eval", "circuits/demo.circ", "--input", "1/2, 3, 2, -1/4", "--json"), "json", [], 1)
ahat("rasp", "compile", "rasp/sort.rasp", "--alphabet", "abn", "-o", tmp("sort.json"))
check("run", ahat("run", tmp("sort.json"), "--input", "banana", "--json"), "json", ["n", "layers_run", "mul_adds"], 1)
check("run --engine numeric", ahat("run", tmp("sort.json"), "--input", "banana", "--engine", "numeric",
                                   "--precision", "float", "--json"), "json", ["n", "tie_tolerance"], 1)
check("info", ahat("info", "examples/prev_token.json", "--json"), "json", ["d", "layers", "heads"], 1)
check("gen", ahat("gen", "sort", "--size", "4", "--json"), "json", ["size", "depth", "inputs"], 1)
check("demo", ahat("demo", "--json"), "json", [], 1)
check("compile", ahat("compile", "circuits/demo.circ", "-o", tmp("demo.wire.json"), "--json"), "json",
      ["K", "layers", "heads", "width", "tokens"], 1)
tokens = str(int(pd.read_json(io.StringIO(ahat("info", tmp("demo.wire.json"), "--json")), lines=True)["tokens"][0]))
check("decompile", ahat("decompile", tmp("demo.wire.json"), "--length", tokens, "--check", "2", "-o",
                        tmp("demo.dec.circ"), "--json"), "json", ["n", "size", "depth", "mismatches"], 1)
check("rasp run", ahat("rasp", "run", "rasp/sort.rasp", "--input", "banana", "--json"), "json", ["n"], 1)
check("rasp compile", ahat("rasp", "compile", "rasp/sort.rasp", "--alphabet", "abn", "-o", tmp("s2.json"), "--json"),
      "json", ["layers", "heads", "width"], 1)
check("lang classify", ahat("lang", "classify", "a*b", "--json"), "json", ["states", "monoid_size"], 1)
check("lang compare", ahat("lang", "compare", "ends-a", "--models", "global,rightmost", "--max-len", "4", "--json"),
      "json", ["max_len"], 1)
check("lang compare", ahat("lang", "compare", "ends-a,starts-a", "--models", "global,rightmost", "--max-len", "4",
                           "--csv"), "csv", [], 4)
check("lang verify", ahat("lang", "verify", "P a", "--max-len", "4", "--random-len", "8", "--samples", "2", "--json"),
      "json", ["layers", "failures", "exhaustive_words"], 1)

# streams: JSON Lines and CSV, flat records
both("verify", ["verify", "--family", "sort", "--sizes", "2..3", "--construction", "wire", "--samples", "2"],
     ["K", "layers", "tokens", "sample"], 4)
df = check("capture", ahat("capture", "histogram", "--sizes", "8,16", "--samples", "2", "--json"), "json",
           ["n", "accuracy", "margin_float", "relative_margin_float", "relative_margin_log2", "implied_bits",
            "predicted_n", "seconds"])
assert set(df["type"]) == {"size", "prediction", "summary"}, set(df["type"])
sizes = df[df["type"] == "size"]
assert len(sizes) == 8 and sizes["n"].tolist() == [8] * 4 + [16] * 4, sizes["n"].tolist()
check("capture", ahat("capture", "histogram", "--sizes", "8,16", "--samples", "2", "--csv"), "csv", ["n", "accuracy"], 8)
both("validate", ["validate", "histogram", "--sizes", "8,16", "--samples", "2", "--precision", "float", "--quiet"],
     ["n", "accuracy", "seconds"])
both("budget", ["budget", "sort", "--n", "8", "--samples", "4", "--no-time", "--budgets", "0.5,1", "--quiet"],
     ["budget", "accuracy", "active_heads"])
both("bench interpreter", ["bench", "interpreter", "--n", "8", "--d", "4", "--repeat", "1"],
     ["n", "mul_adds", "interpreter_seconds", "ratio"], 2)
both("bench compile-run", ["bench", "compile-run", "--sizes", "20,40", "--depth", "4", "--inputs", "4"],
     ["gates", "tokens", "total_seconds", "time_ratio"], 2)
both("bench rasp", ["bench", "rasp", "--tasks", "sort", "--sizes", "16,32"], ["n", "run_seconds", "run_ratio"], 2)
both("bench kernels", ["bench", "kernels", "--n", "64", "--dk", "16", "--rule", "hard", "--mask", "none",
                       "--precision", "float", "--repeats", "1"], ["n", "ms", "scores_per_s"], 1)
both("bench programs", ["bench", "programs", "--tasks", "sort", "--n", "64", "--batch", "2"],
     ["n", "engine_seconds", "speedup"], 1)
print("all outputs load into pandas")
