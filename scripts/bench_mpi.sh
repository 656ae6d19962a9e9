#!/usr/bin/env bash
# The speed-up of `mpirun -n RANKS ahat-mpi` over one `ahat` process on a sweep of 200 random
# circuits (verify --family random --random-depth 8 --samples 4, one construction, sizes 1..200: 200 items of growing cost),
# with the MPI run's load balance (largest rank time / mean), as one JSON object; the two
# outputs must be equal byte for byte (docs/distributed.md).
# Usage: scripts/bench_mpi.sh [BUILD_DIR] [RANKS] [SIZES]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}" ranks="${2:-2}" sizes="${3:-1..200}"
[ -x "$build/ahat-mpi" ] || { echo "bench_mpi: $build/ahat-mpi is not built (CMake did not find MPI?)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
args=(verify --family random --sizes "$sizes" --samples 4 --random-depth 8 --construction wire --json)
load=$(cut -d' ' -f1 /proc/loadavg)
t0=$(date +%s.%N)
"$build/ahat" "${args[@]}" > "$dir/single.jsonl"
t1=$(date +%s.%N)
mpirun -n "$ranks" --oversubscribe "$build/ahat-mpi" --report "$dir/report.json" "${args[@]}" > "$dir/mpi.jsonl" 2> "$dir/mpi.err"
t2=$(date +%s.%N)
same=false
cmp -s "$dir/single.jsonl" "$dir/mpi.jsonl" && same=true
balance=$(sed -n 's/.*"balance":\([0-9.eE+-]*\).*/\1/p' "$dir/report.json")
items=$(sed -n 's/.*"items":\([0-9]*\).*/\1/p' "$dir/report.json")
awk -v t0="$t0" -v t1="$t1" -v t2="$t2" -v r="$ranks" -v b="$balance" -v i="$items" -v s="$same" -v l="$load" -v z="$sizes" \
  'BEGIN { printf "{\"bench\":\"mpi\",\"peer\":\"one ahat process\",\"sweep\":\"verify --family random --sizes %s --samples 4 --random-depth 8 --construction wire\",\"items\":%s,\"ranks\":%s,\"single_seconds\":%.3f,\"mpi_seconds\":%.3f,\"speedup\":%.3f,\"balance\":%s,\"same_output\":%s,\"load_before\":%s}\n", z, i, r, t1 - t0, t2 - t1, (t1 - t0) / (t2 - t1), b, s, l }'
[ "$same" = true ]
