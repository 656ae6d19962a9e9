#!/usr/bin/env bash
# For every compilable task: capture's observed float / bfloat16 break size beside validate's
# first failing size. Both draw the same instances (same seed, 2 samples per size), and the
# numeric engine's reference order is bit-for-bit the interpreter that capture used before, so
# the two columns must agree. Run from the repository root after `bash scripts/setup.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in histogram reverse sort copy count match dyck1 majority induction double-histogram search; do
  cap=$(build/ahat capture $t --sizes 8..2048*2 --samples 2 --precision exact,float,bfloat16 --json 2>/dev/null | python3 -c "
import json,sys
rows=[json.loads(l) for l in sys.stdin]
print(' '.join(f\"{p['format']}={p['observed_n']}\" for p in rows if p['type']=='prediction'))")
  val=$(build/ahat validate $t --sizes 8..2048*2 --samples 2 --precision float,bfloat16 --exact-up-to 512 --json --quiet 2>/dev/null | python3 -c "
import json,sys
rows=[json.loads(l) for l in sys.stdin]
print(' '.join(f\"{r['format']}={r['first_failure']}\" for r in rows if r['type']=='summary'))")
  echo "$t | capture: $cap | validate: $val"
done
