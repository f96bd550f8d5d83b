#!/usr/bin/env bash
# Builds the libFuzzer targets into build-fuzz (clang-14, ASan + UBSan) and runs
# each for SECONDS (default 600), one after another, niced.
#
#   tests/fuzz/run.sh [SECONDS]
#   FUZZ_TARGETS="config sse_translators" tests/fuzz/run.sh 60   # some targets only
#   FUZZ_JOBS=2 tests/fuzz/run.sh                                 # two targets at a time
#
# Seeds come from tests/fuzz/corpus/<target>/ (read only); what the fuzzer adds
# goes to build-fuzz/corpus/<target>/ and is kept between runs. Crash, leak,
# timeout and out-of-memory inputs go to tests/fuzz/crashes/<target>/
# (gitignored): fix the bug, then move the input to
# tests/fuzz/regressions/<target>/ so the normal build's fuzz_<target>_regression
# test replays it for ever. Full logs: build-fuzz/logs/<target>.log. Prints a
# summary line per target and exits 1 when any target found something.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_TARGET="${1:-600}"
ALL_TARGETS=(http_request chat_processors sse_translators config providers_json sealed_config body_decoder js_regex
  answer_scan response_head request_head chat_scan)
read -r -a TARGETS <<< "${FUZZ_TARGETS:-${ALL_TARGETS[*]}}"
JOBS="${FUZZ_JOBS:-1}"
BUILD_DIR=build-fuzz

# The largest input per target: an HTTP request may reach the 64 KiB header
# limit; bodies, streams and configs need far less to reach every branch.
max_len() {
  case "$1" in
    http_request) echo 70000 ;;
    providers_json | sealed_config) echo 8192 ;;
    *) echo 16384 ;;
  esac
}

# clang and its sanitizer/libFuzzer runtimes (Debian 12), as scripts/setup
# installs the rest: only what is missing.
missing=()
for pkg in clang-14 libclang-rt-14-dev cmake ninja-build; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then missing+=("$pkg"); fi
done
if ((${#missing[@]})); then
  echo "fuzz: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSWITCHBOARD_FUZZ=ON >/dev/null
fi
nice -n 10 cmake --build "$BUILD_DIR" -j "${BUILD_JOBS:-2}" --target fuzzers

mkdir -p "$BUILD_DIR/logs"
run_one() {
  local target="$1"
  local corpus="$BUILD_DIR/corpus/$target" crashes="tests/fuzz/crashes/$target" log="$BUILD_DIR/logs/$target.log"
  mkdir -p "$corpus" "$crashes"
  local before
  before=$(find "$crashes" -type f | wc -l)
  local dict=() seeds=("tests/fuzz/corpus/$target")
  if [ -f "tests/fuzz/dicts/$target.dict" ]; then dict=(-dict="tests/fuzz/dicts/$target.dict"); fi
  # Inputs that once crashed a target are good seeds too.
  if [ -d "tests/fuzz/regressions/$target" ]; then seeds+=("tests/fuzz/regressions/$target"); fi
  local status=0
  nice -n 10 "$BUILD_DIR/tests/fuzz/fuzz_$target" "${dict[@]}" \
    -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 -max_total_time="$SECONDS_PER_TARGET" \
    -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "${seeds[@]}" \
    </dev/null >"$log" 2>&1 || status=$?
  local runs cov ft found
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  found=$(( $(find "$crashes" -type f | wc -l) - before ))
  printf 'fuzz %-16s runs %-10s seconds %-5s cov %-6s ft %-6s crashes %s%s\n' "$target" "${runs:-?}" \
    "$SECONDS_PER_TARGET" "${cov:-?}" "${ft:-?}" "$found" \
    "$( ((status != 0 || found > 0)) && echo " (exit $status; see $log and $crashes/)")"
  ((status == 0 && found == 0))
}

failed=0
pids=()
for target in "${TARGETS[@]}"; do
  if [ ! -x "$BUILD_DIR/tests/fuzz/fuzz_$target" ]; then
    echo "fuzz: no target '$target' (known: ${ALL_TARGETS[*]})" >&2
    exit 2
  fi
  run_one "$target" &
  pids+=($!)
  if ((${#pids[@]} >= JOBS)); then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit "$failed"
