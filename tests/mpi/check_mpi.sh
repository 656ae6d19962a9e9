#!/usr/bin/env bash
# CTest mpi_verify_matches_single_run (registered when CMake finds MPI): `mpirun -n 2
# ahat-mpi verify ...` prints the single run's output byte for byte, reports the load balance,
# records every item with --resume, and a failing item exits non-zero naming its item.
# Usage: check_mpi.sh MPIEXEC AHAT_MPI AHAT
set -euo pipefail
mpiexec="$1" mpi="$2" ahat="$3"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
run_mpi() { "$mpiexec" -n 2 --oversubscribe "$mpi" "$@"; }
args=(verify --family random --sizes 20..60 --samples 1)

"$ahat" "${args[@]}" --json > "$dir/single.jsonl"
run_mpi --report "$dir/report.json" "${args[@]}" --json --resume "$dir/records.jsonl" > "$dir/mpi.jsonl" 2> "$dir/mpi.err"
cmp "$dir/single.jsonl" "$dir/mpi.jsonl"
grep -q "load balance (max rank time / mean)" "$dir/mpi.err"
grep -q '"ranks":2' "$dir/report.json"
# header + 41 sizes x 2 constructions
test "$(wc -l < "$dir/records.jsonl")" -eq 83
"$ahat" merge "$dir/records.jsonl" | cmp - "$dir/single.jsonl"

# the text output too
"$ahat" verify --family random --sizes 5..12 --samples 2 > "$dir/single.txt"
run_mpi verify --family random --sizes 5..12 --samples 2 > "$dir/mpi.txt" 2> /dev/null
cmp "$dir/single.txt" "$dir/mpi.txt"

# an analysis sweep (one item per size, then the timing: compared without the seconds)
"$ahat" cascade histogram --sizes 8,4,12 --samples 2 --json --quiet > "$dir/single_cascade.jsonl"
run_mpi cascade histogram --sizes 8,4,12 --samples 2 --json --quiet > "$dir/mpi_cascade.jsonl" 2> /dev/null
cmp "$dir/single_cascade.jsonl" "$dir/mpi_cascade.jsonl"

# a failing item: reported with its rank and item, exit 2 (bad input), no output
if run_mpi verify --family no-such-family --sizes 1..4 --json > "$dir/fail.out" 2> "$dir/fail.err"; then
  echo "a failing sweep exited 0" >&2
  exit 1
fi
grep -q "failed on item" "$dir/fail.err"
test ! -s "$dir/fail.out"
# items 4 on (sizes above 2) fail: the run stops, exits 2, and keeps items 0..3 in its records
if run_mpi verify --family random --sizes 1..6 --samples 1 --depth 2 --json --resume "$dir/part.jsonl" > "$dir/part.out" 2> "$dir/part.err"; then
  echo "a sweep with failing items exited 0" >&2
  exit 1
fi
grep -q "failed on item" "$dir/part.err"
test "$(wc -l < "$dir/part.jsonl")" -eq 5
"$ahat" verify --family random --sizes 1..2 --samples 1 --depth 2 --json --shard 0/1 > "$dir/part_shard.jsonl"
# the same records as a run of sizes 1..2 (ranks finish items in any order: sorted)
cmp <(tail -n +2 "$dir/part.jsonl" | sort) <(tail -n +2 "$dir/part_shard.jsonl" | sort)
# ahat bench mpi: both runs in one call, their outputs equal, a balance from the report
"$ahat" bench mpi --mpirun "$mpiexec" --sizes 1..12 --samples 1 --depth 3 --repeats 2 --json > "$dir/bench.json"
grep -q '"same_output":true' "$dir/bench.json"
grep -q '"ranks":2' "$dir/bench.json"
grep -q '"balance":[0-9]' "$dir/bench.json"
grep -q '"items":12' "$dir/bench.json"
if "$ahat" bench mpi --sizes 1..4 --samples 1 --mpirun "$dir/no-such-launcher" 2> "$dir/bench.err"; then
  echo "bench mpi with a missing launcher exited 0" >&2
  exit 1
fi
grep -q "mpirun" "$dir/bench.err"
echo "ahat-mpi: ok"
