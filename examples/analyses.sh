#!/usr/bin/env bash
# Walk-through of the analyses (docs/analyses.md): attention and gradient sinks, cascade token
# selection, and weights out to PyTorch and back. Run from the repository root after building
# (build/ahat). Writes its outputs under ${OUT:-analyses-out}/.
set -euo pipefail
AHAT=${AHAT:-build/ahat}
OUT=${OUT:-analyses-out}
mkdir -p "$OUT"

# 1. Sinks of compiled tasks, exactly: per size and layer the mean sink score (mass on the
#    BOS position), the fraction of sink heads (score > 0.3), the first-token norm ratio and
#    the gradient-sink ratio R_GS(0); checks: the exact pass against the interpreter and the
#    double backward pass against the exact one.
for task in sort histogram copy induction; do
  "$AHAT" sinks "$task" --sizes 8,16,32 --samples 2 --quiet
done

# 2. The same heads run as softmax at beta 8, in double, with the squared error against the
#    exact answer as the loss; the finite-difference check runs; JSON Lines for pandas, and
#    R_GS(0) per layer against n as SVG.
"$AHAT" sinks histogram --as-softmax 8 --loss squared --sizes 8,16,32,64 --json --svg "$OUT/sinks.svg" --quiet > "$OUT/sinks.jsonl"
#      import pandas as pd
#      df = pd.read_json("analyses-out/sinks.jsonl", lines=True)
#      df[df.type == "layer"].pivot(index="n", columns="layer", values="rgs_float")

# 3. The backward pass at n = 4096 against the forward pass (the bench figure).
"$AHAT" sinks histogram --as-softmax 8 --sizes 8 --samples 1 --time-n 4096 --quiet

# 4. Cascade selection: a tau sweep; --strict exits 1 if a cascade set ever differs from the
#    from-scratch set.
"$AHAT" cascade sort --sizes 16,64 --taus 0.5,0.9,0.99,1 --strict --quiet
"$AHAT" cascade copy --sizes 16,64 --csv --svg "$OUT/cascade.svg" --quiet > "$OUT/cascade.csv"

# 5. Weights out and back in: export a compiled task, run it in PyTorch (needs torch).
"$AHAT" export sort -o "$OUT/sort.safetensors" --npz "$OUT/sort.npz"
if python3 -c 'import torch' 2>/dev/null; then
  python3 examples/ahat_torch.py run "$OUT/sort.safetensors" --tokens "c a b"
fi

# 6. The bundled trained model: retrain (about 20 s on a CPU; needs torch), import it rounded
#    to multiples of 1/1000, and put it through the three analyses.
if python3 -c 'import torch' 2>/dev/null; then
  python3 examples/train_tiny.py "$OUT/tiny.safetensors"
  "$AHAT" import "$OUT/tiny.safetensors" -o "$OUT/tiny.json"
fi
"$AHAT" run examples/tiny_prev_token.json --input acbba
"$AHAT" sinks examples/tiny_prev_token.json --sizes 8,16 --quiet
"$AHAT" cascade examples/tiny_prev_token.json --sizes 8,16 --quiet
"$AHAT" budget examples/tiny_prev_token.json --no-time --quiet
