#!/usr/bin/env python3
# The notebook examples/ahat_tour.ipynb as a plain script, and its one source:
# examples/notebook/build_notebook.py writes the notebook from this file (cells in the
# percent format of Jupytext). Run it as python3 examples/ahat_tour.py.
# %% [markdown]
# # ahat from a notebook
#
# Everything below reads only what the `ahat` command prints: `--json` (one document, or
# JSON Lines for streams) loads with `pd.read_json(..., lines=True)`, `--csv` with
# `pd.read_csv` (docs/cli.md, "Output"). Each cell checks what it shows with `assert`, so
# running the notebook top to bottom (CI does, with nbconvert) tests it.
#
# Build ahat first (`bash scripts/setup.sh`); `AHAT` names the binary if it is not
# `build/ahat` of this repository.

# %%
import io
import json
import os
import subprocess
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; figures still show inline in Jupyter
import matplotlib.pyplot as plt
import pandas as pd

ROOT = Path.cwd()
while not (ROOT / "CMakeLists.txt").exists() and ROOT != ROOT.parent:
    ROOT = ROOT.parent
AHAT = os.environ.get("AHAT", str(ROOT / "build" / "ahat"))
OUT = Path(tempfile.mkdtemp(prefix="ahat_tour_"))


def ahat(*args):
    """Run ahat in the repository root; its standard output as text (exit 0 required)."""
    r = subprocess.run([AHAT, *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, f"ahat {' '.join(map(str, args))}: exit {r.returncode}\n{r.stderr}"
    return r.stdout


def table(*args):
    """A command's --json output (a document or JSON Lines) as a DataFrame: one call."""
    return pd.read_json(io.StringIO(ahat(*args, "--json")), lines=True)


print(ahat("--version").strip(), "at", AHAT)

# %% [markdown]
# ## 1. Compile a circuit to an encoder and run it
#
# `circuits/demo.circ` computes s = x1·y1 + x2·y2 + 1/2 and t = sign(s). `ahat compile`
# writes the encoder; `ahat run` places the input values in its tokens, runs it exactly and
# decodes the outputs. `ahat eval` evaluates the circuit directly: the two must agree.

# %%
compiled = table("compile", "circuits/demo.circ", "--construction", "wire", "-o", OUT / "demo.json")
print(compiled[["construction", "K", "layers", "heads", "width", "tokens"]].to_string(index=False))
run = json.loads(ahat("run", OUT / "demo.json", "--input", "1/2, 3, 2, -1/4", "--json"))
direct = json.loads(ahat("eval", "circuits/demo.circ", "--input", "1/2, 3, 2, -1/4", "--json"))
print("encoder:", run["outputs"], " direct evaluation:", direct["results"][0]["outputs"])
assert run["outputs"] == direct["results"][0]["outputs"] == {"s": "3/4", "t": "1"}

# %% [markdown]
# ## 2. Verify a circuit family
#
# Every sort circuit of 2 to 5 values, compiled with both constructions, checked on random
# rational inputs: outputs, the layer invariant, argmax-set sizes and token shuffling.

# %%
verified = table("verify", "--family", "sort", "--sizes", "2..5", "--construction", "both", "--samples", "3")
summary = verified.groupby(["construction", "K"]).agg(tokens=("tokens", "first"), layers=("layers", "first"),
                                                      instances=("ok", "size"), ok=("ok", "all"))
print(summary.to_string())
assert len(verified) == 4 * 2 * 3 and verified["ok"].all()
assert (verified["layers"][verified["construction"] == "gate"] == 2 * verified["K"][verified["construction"] == "gate"]).all()

# %% [markdown]
# ## 3. A capture sweep, plotted
#
# The histogram task compiled once and run at n = 8 ... 512, exactly and in double, float
# and bfloat16. One row per size and format (`type == "size"`), the predicted break size
# per numeric format (`type == "prediction"`), then a summary. Every precision gets its own
# marker and offset so that none hides another, and each predicted break is marked.

# %%
cap = table("capture", "histogram", "--sizes", "8..512*2", "--samples", "3", "--quiet")
sizes = cap[cap["type"] == "size"]
preds = cap[cap["type"] == "prediction"].set_index("format")
formats = list(dict.fromkeys(sizes["format"]))
fig, ax = plt.subplots(figsize=(7, 4))
markers = {"exact": "o", "double": "s", "float": "^", "bfloat16": "v"}
for k, fmt_name in enumerate(formats):
    rows = sizes[sizes["format"] == fmt_name]
    offset = (k - (len(formats) - 1) / 2) * 0.012  # keeps coinciding lines apart
    line, = ax.plot(rows["n"], rows["accuracy"] + offset, marker=markers.get(fmt_name, "o"), label=fmt_name)
    if fmt_name in preds.index and pd.notna(preds.loc[fmt_name, "predicted_n"]):
        n_break = preds.loc[fmt_name, "predicted_n"]
        if n_break <= sizes["n"].max() * 4:
            ax.axvline(n_break, color=line.get_color(), linestyle=":", label=f"{fmt_name} predicted break (n = {n_break:.0f})")
        else:
            print(f"{fmt_name}: predicted break at n = {n_break:.3g}, beyond the plot")
ax.set_xscale("log", base=2)
ax.set_xlabel("input size n (log scale)")
ax.set_ylabel("accuracy (whole answers correct)")
ax.set_title("capture: histogram")
ax.legend(fontsize=8)
fig.savefig(OUT / "capture.png", dpi=80)
plt.show()
assert set(formats) == {"exact", "double", "float", "bfloat16"}
assert (sizes[sizes["format"] == "exact"]["accuracy"] == 1.0).all()
assert sizes["margin_float"].dtype.kind == "f" and (sizes["margin_float"] > 0).all()
assert len(ax.get_lines()) >= len(formats)

# %% [markdown]
# ## 4. A language table
#
# For each language and model: recognized (a formula compiled to an encoder and verified),
# recognizable, not recognizable (with an argument), or undecided. `--csv` gives one row per
# language and model.

# %%
langs = pd.read_csv(io.StringIO(ahat("lang", "compare", "ends-a,starts-a,majority", "--models",
                                     "global,global-exact,rightmost", "--max-len", "5", "--csv")))
verdicts = langs.pivot(index="language", columns="model", values="verdict")
print(verdicts.to_string())
assert verdicts.shape == (3, 3)
assert set(langs["verdict"]) <= {"recognized", "recognizable", "not-recognizable", "undecided"}
# majority needs exact averaging: recognized with it, not by the rightmost (fixed-precision) model
assert verdicts.loc["majority", "global-exact"] == "recognized"
assert verdicts.loc["majority", "rightmost"] == "not-recognizable"

# %% [markdown]
# ## 5. Attention patterns of a compiled RASP program
#
# `rasp/sort.rasp` compiled over the letters of "banana". `ahat run` decodes the RASP values
# per position; `--attention` gives each head's attended positions per query, and
# `--attention-svg` draws one heat map per head, labelled with the input tokens.

# %%
ahat("rasp", "compile", "rasp/sort.rasp", "--alphabet", "abn", "-o", OUT / "sort.json")
res = json.loads(ahat("run", OUT / "sort.json", "--input", "banana", "--json", "--attention",
                      "--attention-svg", OUT / "attention.svg"))
print("decoded:", " ".join(res["decoded"]))
assert res["decoded"] == list("aaabnn")
head = res["attention"][0]
weights = pd.DataFrame(0.0, index=res["tokens"], columns=res["tokens"])
for q in head["queries"]:
    for k, w in zip(q["keys"], q["weights"]):
        weights.iloc[q["query"], k] = w
fig, ax = plt.subplots(figsize=(3.5, 3.5))
ax.imshow(weights.values, cmap="Blues", vmin=0, vmax=1)
ax.set_xticks(range(len(res["tokens"])), res["tokens"])
ax.set_yticks(range(len(res["tokens"])), res["tokens"])
ax.set_xlabel("key position")
ax.set_ylabel("query position")
ax.set_title(f"layer {head['layer']} head {head['head']}")
plt.show()
assert (weights.sum(axis=1).round(9) <= 1).all()
svg = (OUT / "attention.svg").read_text()
assert svg.startswith("<svg ") and svg.count('<g class="head"') == len(res["attention"])
try:
    from IPython.display import SVG, display
    display(SVG(svg))
except ImportError:
    print("(IPython not installed: the heat maps are in", OUT / "attention.svg", ")")
