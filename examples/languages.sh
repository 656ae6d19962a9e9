#!/usr/bin/env bash
# Walk-through of the local-versus-global comparison (docs/languages.md). Run from the
# repository root after building (build/ahat).
set -euo pipefail
AHAT=${AHAT:-build/ahat}

# 1. One language, all the algebra: minimal DFA, transition monoid, and the class decisions
#    (definite, reverse definite, R-trivial, L-trivial, aperiodic, locally testable, piecewise
#    testable), each with a certificate to check by hand.
"$AHAT" lang classify 'a(a|b)*b'

# 2. The headline at fixed precision: Σ*a needs a 1-token window (local-1 yes, local-2 no: a
#    witness family), aΣ* needs global attention, and aΣ*b needs both (hybrid-1 only). In
#    exact arithmetic a global encoder reads position n-1 through 1/i and counts (majority).
"$AHAT" lang compare ends-a,starts-a,starts-a-ends-b,majority --models global,global-exact,local-1,local-2,hybrid-1,hybrid-2,rightmost

# 3. A formula of your own, compiled to an encoder per model and checked against the
#    evaluator on every word up to length 12 and on sampled words up to length 500.
"$AHAT" lang verify 'P(a & !P b) & Y b' --model hybrid-1 --max-len 12 --random-len 500

# 4. A counting formula (C-RASP-style) compiled to an exact global encoder.
"$AHAT" lang verify '[#a = #b] & H[#a >= #b]' --model global-exact --max-len 10 --random-len 200

# 5. The whole built-in library as JSON for a notebook (about half a minute on two cores).
#      "$AHAT" lang compare all --json > compare.json
