#!/usr/bin/env bash
# The first Switchboard benchmark: the same wrk load straight at a mock upstream
# and through the data plane in front of it; prints requests/s and latency
# percentiles of both, and their ratios. See tests/bench/README.md.
#
#   tests/bench/run.sh [BUILD_DIR]      (default: build)
#
# Needs BUILD_DIR/.../switchboard-dataplane and BUILD_DIR/.../mock_upstream
# (cmake --build BUILD_DIR --target switchboard-dataplane mock_upstream) and wrk.
# Loopback only. Takes about 70 s with the defaults.
#
# Environment knobs (defaults in brackets):
#   BENCH_DURATION [10s]       each loaded (-c BENCH_CONNECTIONS) run
#   BENCH_SEQ_DURATION [5s]    each one-connection run
#   BENCH_CONNECTIONS [64]
#   BENCH_CHUNKS [20] BENCH_CHUNK_BYTES [16] BENCH_CHUNK_DELAY_MS [0]
#                              shape of the mock's streamed answers
#   BENCH_PIN [1]              1: wrk on CPU 0, mock + data plane on CPU 1 (see README)
#   DATAPLANE_BIN, MOCK_BIN    explicit binaries instead of the ones in BUILD_DIR
set -euo pipefail

readonly kReadyTimeoutSeconds=20
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

build_dir=${1:-build}
[[ "$build_dir" = /* ]] || build_dir="$repo/$build_dir"

duration=${BENCH_DURATION:-10s}
seq_duration=${BENCH_SEQ_DURATION:-5s}
connections=${BENCH_CONNECTIONS:-64}
chunks=${BENCH_CHUNKS:-20}
chunk_bytes=${BENCH_CHUNK_BYTES:-16}
chunk_delay_ms=${BENCH_CHUNK_DELAY_MS:-0}
pin=${BENCH_PIN:-1}

die() {
  echo "run.sh: $*" >&2
  exit 1
}

find_binary() {  # NAME -> path of the executable NAME under build_dir
  find "$build_dir" -type f -name "$1" -perm -u+x -print -quit 2>/dev/null
}

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk; scripts/setup does)"
[[ -d "$build_dir" ]] || die "no build directory $build_dir"
dataplane_bin=${DATAPLANE_BIN:-$(find_binary switchboard-dataplane)}
mock_bin=${MOCK_BIN:-$(find_binary mock_upstream)}
[[ -x "$dataplane_bin" ]] ||
  die "switchboard-dataplane not found in $build_dir (cmake --build $build_dir --target switchboard-dataplane)"
[[ -x "$mock_bin" ]] || die "mock_upstream not found in $build_dir (cmake --build $build_dir --target mock_upstream)"

# CPU placement. The machine this was written on has 2 cores for the load
# generator, the mock and the router; see README.md, "Fairness".
wrk_threads=2
pin_wrk=()
pin_servers=()
if [[ "$pin" == 1 ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
  pin_wrk=(taskset -c 0)
  pin_servers=(taskset -c 1)
  wrk_threads=1  # one core: a second wrk thread only adds switches
  placement="wrk on CPU 0; mock and data plane share CPU 1"
else
  placement="unpinned ($(nproc) CPUs shared by wrk, mock and data plane)"
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-bench.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_ready PID LOG NAME: waits for the {"msg":"ready","api":"HOST:PORT"} line
# in LOG and prints HOST:PORT.
wait_ready() {
  local pid=$1 log=$2 name=$3 api=
  local deadline=$((SECONDS + kReadyTimeoutSeconds))
  while [[ -z "$api" ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: $name exited before it was ready; its stderr:" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "run.sh: $name not ready within ${kReadyTimeoutSeconds} s; its stderr:" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    api=$(grep -m1 '"msg":"ready"' "$log" 2>/dev/null | sed -n 's/.*"api":"\([^"]*\)".*/\1/p' || true)
    [[ -n "$api" ]] || sleep 0.05
  done
  echo "$api"
}

# post HOST:PORT PATH BODY: one request with Connection: close over bash's
# /dev/tcp (no curl needed); prints the raw response.
post() {
  local host=${1%:*} port=${1##*:}
  exec 3<>"/dev/tcp/$host/$port"
  printf 'POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAuthorization: Bearer sk-bench\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$2" "$1" "${#3}" "$3" >&3
  timeout 10 cat <&3 || true
  exec 3<&-
}

# --- start the mock upstream and the data plane ------------------------------

"${pin_servers[@]}" "$mock_bin" --port 0 --threads 1 --chunks "$chunks" --chunk-bytes "$chunk_bytes" \
  --chunk-delay-ms "$chunk_delay_ms" 2>"$workdir/mock.log" &
pids+=($!)
mock_api=$(wait_ready "${pids[-1]}" "$workdir/mock.log" mock_upstream)

cat >"$workdir/config.yaml" <<YAML
keyProviders:
  bench-key:
    type: literal
    key: sk-bench-upstream
    modelTargets: [".*"]
modelProviders:
  bench:
    type: genericoai
    url: http://$mock_api/v1/chat/completions
    modelName: mock-model
YAML

# Pinned to one core, a second I/O thread would only add switches (the mock has
# one thread too). Only passed when this data plane has the option.
dataplane_args=(--config "$workdir/config.yaml" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0)
dataplane_threads="default"
if ((${#pin_servers[@]} > 0)) && "$dataplane_bin" --help 2>&1 | grep -q -- '--threads'; then
  dataplane_args+=(--threads 1)
  dataplane_threads=1
fi
"${pin_servers[@]}" "$dataplane_bin" "${dataplane_args[@]}" 2>"$workdir/dataplane.log" &
pids+=($!)
router_api=$(wait_ready "${pids[-1]}" "$workdir/dataplane.log" switchboard-dataplane)

# --- sanity: both answer, streamed and not -----------------------------------

check_target() {  # NAME HOST:PORT MODEL
  local response
  response=$(post "$2" /v1/chat/completions "{\"model\":\"$3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":false}")
  if [[ "$response" != "HTTP/1.1 200"* || "$response" != *'"chat.completion"'* ]]; then
    echo "run.sh: $1 did not answer a non-streamed request with 200 and a chat.completion:" >&2
    echo "$response" | head -c 2000 >&2
    echo >&2
    tail -n 20 "$workdir/dataplane.log" >&2
    exit 1
  fi
  response=$(post "$2" /v1/chat/completions "{\"model\":\"$3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}")
  if [[ "$response" != "HTTP/1.1 200"* || "$response" != *'data: [DONE]'* ]]; then
    echo "run.sh: $1 did not answer a streamed request with 200 and data: [DONE]:" >&2
    echo "$response" | head -c 2000 >&2
    echo >&2
    tail -n 20 "$workdir/dataplane.log" >&2
    exit 1
  fi
}
check_target mock_upstream "$mock_api" mock-model
check_target switchboard "$router_api" bench

# --- load ---------------------------------------------------------------------

# run_wrk OUT THREADS CONNECTIONS DURATION HOST:PORT MODEL STREAM
run_wrk() {
  "${pin_wrk[@]}" wrk -t"$2" -c"$3" -d"$4" --timeout 10s --latency -s "$here/chat.lua" \
    "http://$5/v1/chat/completions" -- "$6" "$7" >"$1" 2>&1 ||
    { cat "$1" >&2; die "wrk failed"; }
}

# parse_wrk FILE: prints "rps p50_ms p90_ms p99_ms errors".
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000
      if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    /^Requests\/sec:/            { rps = $2 }
    /^ +50% /                    { p50 = ms($2) }
    /^ +90% /                    { p90 = ms($2) }
    /^ +99% /                    { p99 = ms($2) }
    /Non-2xx or 3xx responses:/  { errors += $NF }
    /Socket errors:/ {
      for (i = 3; i <= NF; i++) { v = $i; gsub(/,/, "", v); if (v ~ /^[0-9]+$/) errors += v }
    }
    END { printf "%s %s %s %s %d\n", rps, p50, p90, p99, errors }
  ' "$1"
}

results=()  # "case|rps p50 p90 p99 errors (direct)|... (via switchboard)"

# bench_case NAME THREADS CONNECTIONS DURATION STREAM
bench_case() {
  local name=$1 threads=$2 conns=$3 dur=$4 stream=$5 direct via
  echo "running: $name (${dur} each) ..." >&2
  # A short warm-up each, so that connection pools and caches are filled.
  run_wrk "$workdir/warm" "$threads" "$conns" 1s "$mock_api" mock-model "$stream"
  run_wrk "$workdir/direct" "$threads" "$conns" "$dur" "$mock_api" mock-model "$stream"
  run_wrk "$workdir/warm" "$threads" "$conns" 1s "$router_api" bench "$stream"
  run_wrk "$workdir/via" "$threads" "$conns" "$dur" "$router_api" bench "$stream"
  direct=$(parse_wrk "$workdir/direct")
  via=$(parse_wrk "$workdir/via")
  results+=("$name|$direct|$via")
}

bench_case "non-streamed, ${connections} conns" "$wrk_threads" "$connections" "$duration" false
bench_case "streamed, ${connections} conns" "$wrk_threads" "$connections" "$duration" true
bench_case "non-streamed, 1 conn (sequential)" 1 1 "$seq_duration" false
bench_case "streamed, 1 conn (sequential)" 1 1 "$seq_duration" true

# --- report -------------------------------------------------------------------

echo
echo "Switchboard benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $placement"
echo "data plane: $dataplane_threads I/O thread(s); mock: 1 thread; streamed answers: $chunks chunks x $chunk_bytes B, ${chunk_delay_ms} ms apart"
echo "ratio: via / direct (req/s below 1 = fewer requests; latency above 1 = slower)"
echo
printf '%-36s %-8s %12s %16s %8s\n' case metric direct "via switchboard" ratio
printf '%-36s %-8s %12s %16s %8s\n' "" "" "" "" "" | tr ' ' '-'
warn=0
for row in "${results[@]}"; do
  IFS='|' read -r name direct via <<<"$row"
  read -r d_rps d_p50 d_p90 d_p99 d_err <<<"$direct"
  read -r v_rps v_p50 v_p90 v_p99 v_err <<<"$via"
  awk -v name="$name" \
      -v d="$d_rps $d_p50 $d_p90 $d_p99" -v v="$v_rps $v_p50 $v_p90 $v_p99" '
    BEGIN {
      split(d, dv, " "); split(v, vv, " ")
      split("req/s p50 p90 p99", metric, " ")
      for (i = 1; i <= 4; i++) {
        ratio = dv[i] > 0 ? sprintf("%.2f", vv[i] / dv[i]) : "-"
        if (i == 1) { ds = sprintf("%.0f", dv[i]); vs = sprintf("%.0f", vv[i]) }
        else        { ds = sprintf("%.3f ms", dv[i]); vs = sprintf("%.3f ms", vv[i]) }
        printf "%-36s %-8s %12s %16s %8s\n", (i == 1 ? name : ""), metric[i], ds, vs, ratio
      }
    }'
  if ((d_err > 0 || v_err > 0)); then
    echo "  !! errors (non-2xx or socket): direct $d_err, via switchboard $v_err"
    warn=1
  fi
done
if ((warn)); then
  echo
  echo "Some requests failed; the figures above count them as requests. Data plane log tail:"
  tail -n 5 "$workdir/dataplane.log"
fi
