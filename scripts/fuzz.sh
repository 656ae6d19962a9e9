#!/usr/bin/env bash
# libFuzzer campaigns over every reader (docs/fuzzing.md).
#
#   bash scripts/fuzz.sh [--smoke] [--seconds S] [--scale X] [--out DIR] [--build DIR] [TARGET...]
#
# Builds the fuzz targets with clang, AddressSanitizer, UndefinedBehaviorSanitizer and
# libFuzzer into DIR (default build-fuzz; installs the Debian packages clang and
# libclang-rt-14-dev when they are missing), then runs each TARGET (default: all eight) on a working corpus under
# OUT/corpus/TARGET seeded from the bundled files, with its dictionary, inputs up to 4 KiB, a
# 1 s timeout per input, leak detection and a 2 GiB memory limit. Every target runs alone,
# one after another, on one core.
#
#   (default)    a campaign: each target runs a fixed number of inputs (the RUNS table below,
#                times --scale), about 1.2e7 executions in all at --scale 1.
#   --seconds S  each target runs for S seconds instead.
#   --smoke      --seconds 5: what CI runs, so that every target executes under libFuzzer.
#
# Prints one line per target (executions, seconds, corpus size) and a JSON summary on the last
# line; exits 1 if any target found a crash, a timeout, a leak or an out-of-memory input (kept
# under OUT/artifacts/, replayable with the target or with the replay build's binary).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

build=build-fuzz
out=fuzz-out
seconds=""
scale=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) seconds=5 ;;
    --seconds) seconds="$2"; shift ;;
    --scale) scale="$2"; shift ;;
    --out) out="$2"; shift ;;
    --build) build="$2"; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done

# Inputs per target at --scale 1, chosen so that each target runs for a few minutes on one
# core of the 2-core development machine (the slower readers get fewer).
declare -A RUNS=([values]=3000000 [circ]=2000000 [dfa]=2000000 [ltl]=1500000
                 [compiled]=1000000 [encoder]=1000000 [regex]=1000000 [rasp]=500000)
# Seed corpora: the same directories CTest replays (CMakeLists.txt, AHAT_FUZZ_CORPORA).
declare -A SEEDS=([circ]="circuits" [encoder]="examples" [compiled]="tests/fuzz/seeds/compiled"
                  [dfa]="tests/fuzz/seeds/dfa" [regex]="tests/fuzz/seeds/regex"
                  [ltl]="tests/fuzz/seeds/ltl" [rasp]="rasp tests/rasp/programs"
                  [values]="tests/fuzz/seeds/values")
all=(values circ dfa ltl compiled encoder regex rasp)
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [ -n "${SEEDS[$t]:-}" ] || { echo "fuzz.sh: unknown target '$t' (one of: ${all[*]})" >&2; exit 2; }
done

. scripts/packages.sh
ensure_packages fuzz.sh clang libclang-rt-14-dev libomp-14-dev
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAHAT_SANITIZE=ON -DAHAT_FUZZ=ON > /dev/null
fi
ninja -C "$build" $(printf 'fuzz_%s ' "${targets[@]}") > /dev/null

mkdir -p "$out/artifacts"
total=0
failed=()
json=""
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t"
  seeds=()
  for s in ${SEEDS[$t]}; do seeds+=("$root/$s"); done
  if [ -n "$seconds" ]; then limit=(-max_total_time="$seconds")
  else limit=(-runs="$(awk -v r="${RUNS[$t]}" -v s="$scale" 'BEGIN { printf "%d", r * s }')")
  fi
  log="$out/$t.log"
  start=$(date +%s.%N)
  status=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions="$root/tests/lsan.supp" \
    "$build/fuzz_$t" "$out/corpus/$t" "${seeds[@]}" -dict="tests/fuzz/dict/$t.dict" \
      -max_len=4096 -timeout=1 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
      -artifact_prefix="$out/artifacts/$t-" "${limit[@]}" > "$log" 2>&1 || status=$?
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  runs=$(awk '/stat::number_of_executed_units:/ { n = $2 } END { print n + 0 }' "$log")
  size=$(find "$out/corpus/$t" -type f | wc -l)
  total=$((total + runs))
  verdict=ok
  if [ "$status" -ne 0 ]; then verdict=FAILED; failed+=("$t"); fi
  printf 'fuzz_%-9s %10d executions %8s s  corpus %5d  %s\n' "$t" "$runs" "$secs" "$size" "$verdict"
  if [ "$status" -ne 0 ]; then grep -m5 -E "ERROR|SUMMARY|Test unit written" "$log" >&2 || true; fi
  json+="${json:+,}\"$t\":{\"executions\":$runs,\"seconds\":$secs,\"corpus\":$size,\"ok\":$([ "$status" -eq 0 ] && echo true || echo false)}"
done
failed_json=""
for t in "${failed[@]}"; do failed_json+="${failed_json:+,}\"$t\""; done
echo "{\"total_executions\":$total,\"targets\":{$json},\"failed\":[$failed_json]}"
[ ${#failed[@]} -eq 0 ]
