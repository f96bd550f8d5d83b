#!/usr/bin/env bash
# The whole test suite against an AddressSanitizer + UndefinedBehaviorSanitizer
# build (build-asan, -O1 -g1): `scripts/test --sanitize`, which CI runs
# after the normal suite (.ci/run). Extra arguments go to ctest.
#
# Every report fails the run. The process that hits one stops at once
# (halt_on_error), so its test fails; and since a test does not always look at
# how the data and control planes it started ended, every report — of any
# process — is also written to build-asan/sanitizer-logs/, printed at the end,
# and fails the run even when ctest passed. Leaks are checked (detect_leaks).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup
# -O1 -g1: what the sanitizers recommend (reports keep their line numbers), and
# about half the compile time of -O2 -g on Beast's templates.
# (CXXFLAGS is read when build-asan is first configured.)
CXXFLAGS="-O1 -g1" BUILD_DIR=build-asan \
  CMAKE_ARGS="-DCMAKE_BUILD_TYPE=None -DSWITCHBOARD_SANITIZE=ON -DSWITCHBOARD_BENCH=OFF" scripts/build

logs="$PWD/build-asan/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitize/lsan.supp:print_suppressions=0"

status=0
(cd build-asan && ctest --output-on-failure --timeout 600 -j2 -LE no-sanitize "$@") || status=$?

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  for report in $reports; do
    echo "==== sanitizer report: $report"
    cat "$report"
  done
  echo "sanitize: $(echo "$reports" | wc -l) sanitizer report(s); see above" >&2
  status=1
fi
exit "$status"
