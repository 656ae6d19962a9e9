#!/usr/bin/env bash
# Walk-through of the capture check (docs/capture.md). Run from the repository root after
# building (build/ahat). Writes its outputs under ${OUT:-capture-out}/.
set -euo pipefail
AHAT=${AHAT:-build/ahat}
OUT=${OUT:-capture-out}
mkdir -p "$OUT"

# 1. Sort, compiled once, run from n = 8 to 512 exactly and in double, float and bfloat16.
#    The table shows per size: the weights hash (the same at every size: the encoder does not
#    depend on n), the accuracy per format, the exact attention margin and the bits it implies,
#    then the predicted and the observed break size of each format.
"$AHAT" capture sort --sizes 8..512*2 --samples 5

# 2. The same as JSON Lines (one object per size, then a summary) and CSV for a notebook,
#    plus a plot of accuracy against n.
"$AHAT" capture histogram --sizes 8..512*2 --samples 5 --json --svg "$OUT/histogram.svg" > "$OUT/histogram.jsonl"
"$AHAT" capture histogram --sizes 8..512*2 --samples 5 --csv > "$OUT/histogram.csv"
tail -n 1 "$OUT/histogram.jsonl"

# 3. In a notebook:
#      import pandas as pd
#      df = pd.read_csv("capture-out/histogram.csv")
#      df.pivot(index="n", columns="format", values="accuracy")
#    or, from the JSON Lines, the exact margin per size:
#      rows = [json.loads(l) for l in open("capture-out/histogram.jsonl")]
#      [(r["n"], r["relative_margin_log2"]) for r in rows if r["type"] == "size"]

# 4. Only bfloat16, with a tighter tie tolerance: does the break move?
"$AHAT" capture sort --sizes 8..256*2 --samples 5 --precision bfloat16 --tie-tolerance 1e-3

# 5. Any RASP program: the SOp to compile and the tokens to draw.
#      "$AHAT" capture my_program.rasp --name out --alphabet abc --sizes 8..256*2
echo "outputs in $OUT/"
