#!/usr/bin/env bash
# Switchboard's benchmark: each case straight at a mock upstream ("direct"),
# through the data plane in front of it ("via switchboard") and, when npm can
# install it, through Portkey's gateway; prints one table with the ratios and
# the issue's targets. See tests/bench/README.md.
#
#   tests/bench/run.sh [BUILD_DIR]      (default: build)
#
# Needs, under BUILD_DIR: switchboard-dataplane, switchboard-controlplane,
# mock_upstream, hop_relay and loadgen, best built as the image builds them,
# with the data plane's profile (the report says which build it measured):
#   BUILD_DIR=build-bench scripts/build-pgo --target switchboard-dataplane switchboard-controlplane mock_upstream hop_relay loadgen
#   tests/bench/run.sh build-bench
# and wrk. Loopback only. About 8 minutes with the defaults; BENCH_QUICK=1
# shortens every case (about 1 minute, for checking the harness; its figures
# are too short to mean much).
#
# Cases (the numbers of the performance issue):
#   1 closed loop, wrk -c64, non-streamed (and streamed)   2 one connection, sequential
#   3 fixed arrival rate (loadgen rate)                     4 streams: time to first byte, total
#   5 held streams (loadgen hold)                           6 request size, with and without processors
#   7 config churn: SetWeights every 100 ms during case 1, on a managed data plane
# Cases 2 and 4 also run against a Gemini upstream (2g, 4g; no target): the
# mock answering Gemini's own API, the router translating both ways.
#
# Environment knobs (defaults in brackets; BENCH_QUICK=1 defaults in braces):
#   BENCH_DURATION [10s] {1s}         each wrk run of case 1 and 7
#   BENCH_SEQ_DURATION [5s] {1s}      each one-connection wrk run (case 2)
#   BENCH_WRK_WARMUP [1s] {0}         wrk warm-up before each run (0: none)
#   BENCH_ROUNDS [3] {1}              cases 1 and 2: rounds of direct, hop, switchboard,
#                                     Portkey in turn, each run DURATION/ROUNDS long;
#                                     each column shows its median round
#   BENCH_CONNECTIONS [64]
#   BENCH_RATES ["2000 5000"]         case 3 arrival rates; BENCH_RATE_DURATION [10] {1} seconds
#   BENCH_RATE_CONNECTIONS [64]
#   BENCH_STREAM_CONCURRENCY ["16 256"]  case 4; BENCH_STREAM_DURATION [4] {1} seconds
#   BENCH_STREAM_DELAY_MS [20]        chunk spacing of case 4's "with delay" runs
#   BENCH_CHUNKS [20] BENCH_CHUNK_BYTES [16]   shape of the mock's streamed answers
#   BENCH_HOLD_STREAMS [10000] {1000} BENCH_HOLD_SECONDS [30] {4}   case 5
#   BENCH_HOLD_DIRECT [1]             also hold the streams against the mock alone
#   BENCH_SIZES ["4096 102400 1048576"] BENCH_SIZE_DURATION [3] {0.5} seconds   case 6
#   BENCH_CHURN_INTERVAL_MS [100]     case 7
#   BENCH_CASES ["1 2 3 4 5 6 7"]   which cases to run
#   BENCH_PORTKEY [auto]              auto: run Portkey when npm can install it; 0: never
#   BENCH_HOP [1]                     1: cases 1-4 also through hop_relay, a bare byte relay in front
#                                     of the mock: the cost of one more hop, the physical limit
#   BENCH_PIN [1]                     1: load generators on CPU 0, servers on CPU 1 (see README)
#   DATAPLANE_BIN, CONTROLPLANE_BIN, MOCK_BIN, HOP_BIN, LOADGEN_BIN   explicit binaries
set -euo pipefail

readonly kReadyTimeoutSeconds=20
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

build_dir=${1:-build}
[[ "$build_dir" = /* ]] || build_dir="$repo/$build_dir"

quick=${BENCH_QUICK:-0}
q() { if [[ "$quick" == 1 ]]; then echo "$2"; else echo "$1"; fi; }  # q FULL QUICK
duration=${BENCH_DURATION:-$(q 10s 1s)}
seq_duration=${BENCH_SEQ_DURATION:-$(q 5s 1s)}
wrk_warmup=${BENCH_WRK_WARMUP:-$(q 1s 0)}
wrk_rounds=${BENCH_ROUNDS:-$(q 3 1)}
round_notes=""
loadgen_warmup=$(q 1 0.3)  # seconds of loadgen rate/stream runs not recorded
connections=${BENCH_CONNECTIONS:-64}
rates=${BENCH_RATES:-"2000 5000"}
rate_duration=${BENCH_RATE_DURATION:-$(q 10 1)}
rate_connections=${BENCH_RATE_CONNECTIONS:-64}
stream_concurrency=${BENCH_STREAM_CONCURRENCY:-"16 256"}
stream_duration=${BENCH_STREAM_DURATION:-$(q 4 1)}
stream_delay_ms=${BENCH_STREAM_DELAY_MS:-20}
chunks=${BENCH_CHUNKS:-20}
chunk_bytes=${BENCH_CHUNK_BYTES:-16}
hold_streams=${BENCH_HOLD_STREAMS:-$(q 10000 1000)}
hold_seconds=${BENCH_HOLD_SECONDS:-$(q 30 4)}
hold_direct=${BENCH_HOLD_DIRECT:-1}
sizes=${BENCH_SIZES:-"4096 102400 1048576"}
size_duration=${BENCH_SIZE_DURATION:-$(q 3 0.5)}
churn_interval_ms=${BENCH_CHURN_INTERVAL_MS:-100}
portkey_mode=${BENCH_PORTKEY:-auto}
hop_mode=${BENCH_HOP:-1}
cases=${BENCH_CASES:-"1 2 3 4 5 6 7"}
want() { [[ " $cases " == *" $1 "* ]]; }
pin=${BENCH_PIN:-1}

die() {
  echo "run.sh: $*" >&2
  exit 1
}
note() { echo "run.sh: $*" >&2; }

find_binary() {  # NAME -> path of the executable NAME under build_dir
  find "$build_dir" -type f -name "$1" -perm -u+x -print -quit 2>/dev/null
}

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk; scripts/setup does)"
[[ -d "$build_dir" ]] || die "no build directory $build_dir"
dataplane_bin=${DATAPLANE_BIN:-$(find_binary switchboard-dataplane)}
controlplane_bin=${CONTROLPLANE_BIN:-$(find_binary switchboard-controlplane)}
mock_bin=${MOCK_BIN:-$(find_binary mock_upstream)}
loadgen_bin=${LOADGEN_BIN:-$(find_binary loadgen)}
hop_bin=${HOP_BIN:-$(find_binary hop_relay)}
for pair in "switchboard-dataplane:$dataplane_bin" "switchboard-controlplane:$controlplane_bin" \
  "mock_upstream:$mock_bin" "loadgen:$loadgen_bin" $([[ "$hop_mode" == 1 ]] && echo "hop_relay:$hop_bin"); do
  [[ -x "${pair#*:}" ]] || die "${pair%%:*} not found in $build_dir (cmake --build $build_dir --target ${pair%%:*})"
done

# File descriptors: case 5 holds N connections in loadgen and in the mock, and
# 2N in the data plane (client and upstream). The hard limit can only be raised
# with CAP_SYS_RESOURCE; where it is lower than 2N + 200, fewer streams are held
# (and the report says so).
hold_requested=$hold_streams
ulimit -Hn 65536 2>/dev/null || true
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)
hold_note=""
if [[ "$fd_limit" != unlimited ]] && ((2 * hold_streams + 200 > fd_limit)); then
  hold_streams=$(((fd_limit - 200) / 2))
  hold_note="only $hold_streams of $hold_requested streams: the fd hard limit is $fd_limit (the data plane needs 2 per stream)"
  note "case 5: $hold_note"
fi

# CPU placement. The machine this was written on has 2 cores for the load
# generator, the mock and the router; see README.md, "Fairness".
wrk_threads=2
pin_load=()
pin_servers=()
if [[ "$pin" == 1 ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
  pin_load=(taskset -c 0)
  pin_servers=(taskset -c 1)
  wrk_threads=1  # one core: a second wrk thread only adds switches
  placement="wrk/loadgen/control plane on CPU 0; mocks, data plane and Portkey share CPU 1"
else
  placement="unpinned ($(nproc) CPUs shared by everything)"
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-bench.XXXXXX")
pids=()
stop_pid() {  # PID: TERM, up to 3 s, then KILL
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  kill -CONT "$pid" 2>/dev/null || true  # a paused process (Portkey) sees TERM only once running
  for _ in $(seq 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null && kill -CONT "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_script=run.sh
# shellcheck source=ready.sh
source "$here/ready.sh"

# post HOST:PORT PATH BODY [HEADER...]: one request with Connection: close over
# bash's /dev/tcp (no curl needed); prints the raw response.
post() {
  local host=${1%:*} port=${1##*:} path=$2 body=$3 extra="" header
  shift 3
  for header in "$@"; do extra+="$header"$'\r\n'; done
  exec 3<>"/dev/tcp/$host/$port" || return 1
  printf 'POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\nAuthorization: Bearer sk-bench\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$path" "$host" "$port" "$extra" "${#body}" "$body" >&3
  timeout 10 cat <&3 || true
  exec 3<&-
}

# get HOST:PORT PATH: a GET, same way.
get() {
  local host=${1%:*} port=${1##*:}
  exec 3<>"/dev/tcp/$host/$port" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$2" "$1" >&3
  timeout 10 cat <&3 || true
  exec 3<&-
}

# answers NAME HOST:PORT MODEL [HEADER...]: 0 when a non-streamed request gets
# 200 and a chat.completion, and a streamed one 200 and data: [DONE].
answers() {
  local name=$1 api=$2 model=$3 response
  shift 3
  response=$(post "$api" /v1/chat/completions \
    "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":false}" "$@" 2>/dev/null) || return 1
  if [[ "$response" != "HTTP/1.1 200"* || "$response" != *'"chat.completion"'* ]]; then
    echo "$name: non-streamed answer: $(echo "$response" | head -c 600)" >"$workdir/last-check"
    return 1
  fi
  response=$(post "$api" /v1/chat/completions \
    "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}" "$@" 2>/dev/null) || return 1
  if [[ "$response" != "HTTP/1.1 200"* || "$response" != *'data: [DONE]'* ]]; then
    echo "$name: streamed answer: $(echo "$response" | head -c 600)" >"$workdir/last-check"
    return 1
  fi
}

check_target() {  # NAME HOST:PORT MODEL [HEADER...]: answers, or stop the run
  if ! answers "$@"; then
    echo "run.sh: $1 did not answer as expected:" >&2
    cat "$workdir/last-check" >&2 2>/dev/null || true
    echo >&2
    tail -n 20 "$workdir/dataplane.log" >&2 2>/dev/null || true
    exit 1
  fi
}

# start_mock NAME CHUNKS DELAY_MS: starts a mock upstream; sets mock_api_NAME
# (HOST:PORT) and mock_pid_NAME.
start_mock() {
  local api
  "${pin_servers[@]}" "$mock_bin" --port 0 --threads 1 --chunks "$2" --chunk-bytes "$chunk_bytes" \
    --chunk-delay-ms "$3" 2>"$workdir/mock-$1.log" &
  pids+=($!)
  api=$(wait_ready "${pids[-1]}" "$workdir/mock-$1.log" "mock_upstream ($1)") || exit 1
  printf -v "mock_api_$1" '%s' "$api"
  printf -v "mock_pid_$1" '%s' "${pids[-1]}"
}

# start_hop NAME HOST:PORT: starts hop_relay in front of HOST:PORT; sets
# hop_api_NAME.
start_hop() {
  local api
  "${pin_servers[@]}" "$hop_bin" --port 0 --upstream "$2" 2>"$workdir/hop-$1.log" &
  pids+=($!)
  api=$(wait_ready "${pids[-1]}" "$workdir/hop-$1.log" "hop_relay ($1)") || exit 1
  printf -v "hop_api_$1" '%s' "$api"
}

# --- results ------------------------------------------------------------------

# A missing figure is "?": arithmetic on it is an awk syntax error, so a
# target computed from it reads n/a instead of a wrong number.
# kv FILE KEY: the value of KEY=... in FILE's key=value line, or "?".
kv() {
  local value
  value=$(sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1" 2>/dev/null | head -n1)
  echo "${value:-?}"
}

rows=()  # "case|metric|unit|direct|via|portkey|hop"; unit: rps ms count MiB pct
row() { rows+=("$1|$2|$3|${4:--}|${5:--}|${6:--}|${7:--}"); }
# verdict EXPR: "met" when the awk expression holds, "NOT met" when not, "n/a"
# when it cannot be computed (a missing figure).
verdict() {
  local status=0
  awk "BEGIN { exit !($1) }" 2>/dev/null || status=$?
  case $status in 0) echo "met" ;; 1) echo "NOT met" ;; *) echo "n/a" ;; esac
}
calc() { awk "BEGIN { printf \"%.3f\", $1 }" 2>/dev/null || echo "?"; }  # calc EXPR
awk_int() { awk "BEGIN { printf \"%d\", $1 }" 2>/dev/null || echo "?"; }  # awk_int EXPR

# --- wrk ----------------------------------------------------------------------

# run_wrk OUT THREADS CONNECTIONS DURATION HOST:PORT[/PATH] MODEL STREAM [HEADER...]
# (PATH defaults to /v1/chat/completions)
run_wrk() {
  local out=$1 threads=$2 conns=$3 dur=$4 api=$5 model=$6 stream=$7 url
  shift 7
  url="http://$api"
  [[ "$api" == */* ]] || url+="/v1/chat/completions"
  timeout 120 "${pin_load[@]}" wrk -t"$threads" -c"$conns" -d"$dur" --timeout 10s --latency -s "$here/chat.lua" \
    "$url" -- "$model" "$stream" "$@" >"$out" 2>&1 ||
    { note "wrk failed against $api:"; cat "$out" >&2; }
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
    END { if (rps == "") print "? ? ? ? ?"; else printf "%s %s %s %s %d\n", rps, p50, p90, p99, errors }
  ' "$1"
}

# wrk_measure NAME THREADS CONNS DURATION API MODEL STREAM [HEADER...]: a
# warm-up (BENCH_WRK_WARMUP), then the run; prints parse_wrk's figures.
wrk_measure() {
  local name=$1
  shift
  [[ "$wrk_warmup" != 0 ]] && run_wrk "$workdir/wrk-warm" "$1" "$2" "$wrk_warmup" "$4" "$5" "$6" "${@:7}"
  run_wrk "$workdir/wrk-$name" "$@"
  parse_wrk "$workdir/wrk-$name"
}

# median_run [COLUMN]: reads parse_wrk lines (one per round) and prints the one
# with the median req/s (or the median of COLUMN: 4 is p99), its errors replaced
# by the sum over all rounds.
median_run() {
  sort -g -k"${1:-1}","${1:-1}" | awk '{ line[NR] = $0; errors += $5 }
    END { if (NR == 0) { print "? ? ? ? ?"; exit }
          split(line[int((NR + 1) / 2)], f, " "); printf "%s %s %s %s %d\n", f[1], f[2], f[3], f[4], errors }'
}

# round_duration DURATION: one round's share of DURATION ("10s" in 3 rounds:
# "4s", rounded up); a duration wrk spells otherwise ("1m") is every round's.
round_duration() {
  if [[ $1 =~ ^([0-9]+)s?$ ]]; then echo "$(( (BASH_REMATCH[1] + wrk_rounds - 1) / wrk_rounds ))s"; else echo "$1"; fi
}

# wrk_case KEY LABEL THREADS CONNS DURATION STREAM [PATH VIA_MODEL]: direct,
# hop, via, portkey, in BENCH_ROUNDS interleaved rounds (a slow spell of the
# machine then falls on every column alike, not on one); adds rows of each
# column's median round and sets wrk_KEY to "direct|via|portkey|hop", each
# "rps p50 p99 errors". With PATH (the mock's Gemini API, say), direct and hop
# POST there, the router's model is VIA_MODEL, and Portkey sits out.
wrk_case() {
  local case=$1 label=$2 threads=$3 conns=$4 dur=$5 stream=$6 path=${7:-} via_model=${8:-bench}
  local d= v= p= h= round round_dur ratios="" portkey=$portkey_api
  [[ -n "$path" ]] && portkey=""
  round_dur=$(round_duration "$dur")
  note "case $label ($wrk_rounds round(s) of ${round_dur} each) ..."
  for ((round = 1; round <= wrk_rounds; ++round)); do
    local rd rv
    rd=$(wrk_measure "$case-direct" "$threads" "$conns" "$round_dur" "$mock_api_fast$path" mock-model "$stream")
    d+="$rd"$'\n'
    if [[ -n "$hop_api_fast" ]]; then
      h+="$(wrk_measure "$case-hop" "$threads" "$conns" "$round_dur" "$hop_api_fast$path" mock-model "$stream")"$'\n'
    fi
    rv=$(wrk_measure "$case-via" "$threads" "$conns" "$round_dur" "$router_api" "$via_model" "$stream")
    v+="$rv"$'\n'
    if [[ -n "$portkey" ]]; then
      p+="$(with_portkey wrk_measure "$case-portkey" "$threads" "$conns" "$round_dur" "$portkey_api" mock-model "$stream" \
        "${portkey_headers[@]}")"$'\n'
    fi
    ratios+=" $(calc "${rv%% *} / ${rd%% *}")"
  done
  ((wrk_rounds > 1)) && round_notes+="case $label: switchboard/direct req/s by round:$ratios"$'\n'
  d=$(printf '%s' "$d" | median_run)
  v=$(printf '%s' "$v" | median_run)
  [[ -n "$h" ]] && h=$(printf '%s' "$h" | median_run)
  [[ -n "$p" ]] && p=$(printf '%s' "$p" | median_run)
  local dr dp50 dp99 de vr vp50 vp99 ve pr pp50 pp99 pe hr hp50 hp99 he
  read -r dr dp50 _ dp99 de <<<"$d"
  read -r vr vp50 _ vp99 ve <<<"$v"
  read -r pr pp50 _ pp99 pe <<<"${p:-"- - - - -"}"
  read -r hr hp50 _ hp99 he <<<"${h:-"- - - - -"}"
  row "$label" "req/s" rps "$dr" "$vr" "$pr" "$hr"
  row "" "p50" ms "$dp50" "$vp50" "$pp50" "$hp50"
  row "" "p99" ms "$dp99" "$vp99" "$pp99" "$hp99"
  row "" "errors" count "$de" "$ve" "$pe" "$he"
  printf -v "wrk_$case" '%s' "$dr $dp50 $dp99 $de|$vr $vp50 $vp99 $ve|$pr $pp50 $pp99 $pe|$hr $hp50 $hp99 $he"
}

# --- loadgen ------------------------------------------------------------------

# loadgen OUT LIMIT_SECONDS MODE ARGS...: runs loadgen on the load CPU; its
# key=value line goes to OUT, its stderr to OUT.err.
loadgen() {
  local out=$1 limit=$2
  shift 2
  timeout "$limit" "${pin_load[@]}" "$loadgen_bin" "$@" >"$out" 2>"$out.err" ||
    { note "loadgen $1 failed (exit $?):"; tail -n 5 "$out.err" >&2; }
  [[ -s "$out.err" ]] && sed 's/^/  /' "$out.err" | head -n 5 >&2
  return 0
}

# --- process sampling (case 5) --------------------------------------------------

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
clk_tck=$(getconf CLK_TCK)

# sample_while PID WATCHED_PID OUT: until PID ends, samples WATCHED_PID's RSS
# every 0.25 s; writes "peak_rss_mib cpu_pct".
sample_while() {
  local pid=$1 watched=$2 out=$3 peak=0 rss t0 c0 c1
  t0=$(date +%s.%N)
  c0=$(cpu_ticks "$watched")
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(rss_kib "$watched")
    [[ -n "$rss" ]] && ((rss > peak)) && peak=$rss
    sleep 0.25
  done
  c1=$(cpu_ticks "$watched")
  awk -v peak="$peak" -v c0="${c0:-0}" -v c1="${c1:-0}" -v t0="$t0" -v t1="$(date +%s.%N)" -v hz="$clk_tck" \
    'BEGIN { printf "%.1f %.1f\n", peak / 1024, (c1 - c0) / hz / (t1 - t0) * 100 }' >"$out"
}

# --- start: mocks, data plane, Portkey ----------------------------------------

mock_api_fast="" mock_api_delay="" mock_api_hold="" mock_pid_hold=""  # set by start_mock
start_mock fast "$chunks" 0
start_mock delay "$chunks" "$stream_delay_ms"
start_mock hold "$((hold_seconds + 1))" 1000  # a stream lasts hold_seconds
hop_api_fast="" hop_api_delay=""  # set by start_hop
if [[ "$hop_mode" == 1 ]]; then
  start_hop fast "$mock_api_fast"
  start_hop delay "$mock_api_delay"
fi

cat >"$workdir/config.yaml" <<YAML
keyProviders:
  bench-key:
    type: literal
    key: sk-bench-upstream
    modelTargets: [".*"]
server:
  maxConcurrentRequests: $((hold_streams + 1000))
modelProviders:
  bench:
    type: genericoai
    url: http://$mock_api_fast/v1/chat/completions
    modelName: mock-model
  bench-delay:
    type: genericoai
    url: http://$mock_api_delay/v1/chat/completions
    modelName: mock-model
  bench-hold:
    type: genericoai
    url: http://$mock_api_hold/v1/chat/completions
    modelName: mock-model
  bench-chain:
    type: genericoai
    url: http://$mock_api_fast/v1/chat/completions
    modelName: mock-model
    processorChain: roleplay
  bench-gemini:
    type: gemini
    url: http://$mock_api_fast/v1beta/models
    modelName: mock-model
  bench-gemini-delay:
    type: gemini
    url: http://$mock_api_delay/v1beta/models
    modelName: mock-model
processorChains:
$(cat "$here/roleplay-chain.yaml")
YAML

# Pinned to one core, a second I/O thread would only add switches (the mock has
# one thread too). Only passed when this data plane has the option.
dataplane_threads="default"
threads_args=()
if ((${#pin_servers[@]} > 0)) && "$dataplane_bin" --help 2>&1 | grep -q -- '--threads'; then
  threads_args=(--threads 1)
  dataplane_threads=1
fi
"${pin_servers[@]}" "$dataplane_bin" --config "$workdir/config.yaml" --listen 127.0.0.1:0 \
  --admin-listen 127.0.0.1:0 "${threads_args[@]}" 2>"$workdir/dataplane.log" &
pids+=($!)
dataplane_pid=${pids[-1]}
router_api=$(wait_ready "$dataplane_pid" "$workdir/dataplane.log" switchboard-dataplane)

check_target "mock_upstream" "$mock_api_fast" mock-model
if [[ -n "$hop_api_fast" ]]; then
  check_target "hop_relay" "$hop_api_fast" mock-model
  check_target "hop_relay (delayed mock)" "$hop_api_delay" mock-model
fi
check_target "switchboard" "$router_api" bench
check_target "switchboard (delayed mock)" "$router_api" bench-delay
check_target "switchboard (processor chain)" "$router_api" bench-chain
check_target "switchboard (Gemini upstream)" "$router_api" bench-gemini

# Portkey: @portkey-ai/gateway from npm (tests/bench/portkey/package.json pins
# it, and @hono/node-server 1.13.5 through overrides), pointed at the mock as an
# OpenAI-compatible provider with a custom host.
portkey_api=""
portkey_pid=""
portkey_status="skipped (BENCH_PORTKEY=0)"
portkey_headers=("x-portkey-provider: openai" "x-portkey-custom-host: http://$mock_api_fast/v1")
start_portkey() {
  local dir=$here/portkey entry
  entry=$dir/node_modules/@portkey-ai/gateway/build/start-server.js
  command -v node >/dev/null || { portkey_status="skipped (no node)"; return; }
  if [[ ! -f "$entry" ]]; then
    command -v npm >/dev/null || { portkey_status="skipped (no npm)"; return; }
    note "installing Portkey's gateway (npm ci in tests/bench/portkey) ..."
    if ! (cd "$dir" && timeout 300 npm ci --no-audit --no-fund --ignore-scripts >"$workdir/npm.log" 2>&1); then
      portkey_status="skipped (npm ci failed: $(tail -n 1 "$workdir/npm.log"))"
      return
    fi
  fi
  # A random port can be taken (Node then exits with EADDRINUSE): up to
  # three ports are tried.
  local port attempt
  for attempt in 1 2 3; do
    port=$((20000 + RANDOM % 20000))
    (cd "$workdir" && exec "${pin_servers[@]}" node "$entry" --port="$port" --headless) >"$workdir/portkey.log" 2>&1 &
    pids+=($!)
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
      if answers portkey "127.0.0.1:$port" mock-model "${portkey_headers[@]}"; then
        portkey_api="127.0.0.1:$port"
        portkey_pid=${pids[-1]}
        portkey_status="@portkey-ai/gateway $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' \
          "$dir/node_modules/@portkey-ai/gateway/package.json" | head -n1) on node $(node --version)"
        return
      fi
      kill -0 "${pids[-1]}" 2>/dev/null || break
      sleep 0.5
    done
    kill -0 "${pids[-1]}" 2>/dev/null && break  # running but not answering: no other port will help
    grep -q EADDRINUSE "$workdir/portkey.log" || break
    note "portkey: port $port taken, trying another"
  done
  portkey_status="skipped (did not answer: $(head -c 300 "$workdir/last-check" 2>/dev/null; { grep -m1 Error "$workdir/portkey.log" || tail -n 2 "$workdir/portkey.log"; } | tr '\n' ' '))"
  stop_pid "${pids[-1]}"
}
[[ "$portkey_mode" != 0 ]] && start_portkey
note "portkey: $portkey_status"
# with_portkey CMD...: runs CMD with Portkey running; between its own runs it is
# paused (SIGSTOP). Node keeps working on the servers' core for a while after a
# load (collecting garbage and the like): left running, it took case 3's p99 at
# 5,000 req/s from about 0.5 ms to 1.3-2.1 ms in every column, direct included.
with_portkey() {
  [[ -z "$portkey_pid" ]] || kill -CONT "$portkey_pid" 2>/dev/null || true
  local status=0
  "$@" || status=$?
  [[ -z "$portkey_pid" ]] || kill -STOP "$portkey_pid" 2>/dev/null || true
  return "$status"
}
[[ -z "$portkey_pid" ]] || kill -STOP "$portkey_pid" 2>/dev/null || true

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# CPU time the hypervisor gave to other guests ("steal"): on a shared VM it
# makes every figure of the run slower, the direct ones too; printed with the
# table so that a run under heavy steal is recognised as such.
cpu_ticks() { awk '/^cpu /{ t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9 }' /proc/stat; }
read -r ticks_before steal_before < <(cpu_ticks)

# settle: writes the page cache's dirty pages to disk before a case starts. The
# data plane's request log of a fast case (case 1: about 200 MB on its own) is
# otherwise written back by the kernel 30 s later (vm.dirty_expire_centisecs),
# in the middle of whichever case runs then, and charged to that case. A case's
# own log is still written, and written back whenever the kernel does it.
settle() { sync; }

# --- case 1 and 2: wrk ------------------------------------------------------------

if want 1; then
  settle
  wrk_case 1 "1 closed loop, -c$connections" "$wrk_threads" "$connections" "$duration" false
  wrk_case 1s "1 same, streamed" "$wrk_threads" "$connections" "$duration" true
fi
if want 2; then
  settle
  wrk_case 2 "2 one connection, sequential" 1 1 "$seq_duration" false
  wrk_case 2s "2 same, streamed (whole stream)" 1 1 "$seq_duration" true
  # The same with a Gemini upstream: the mock answers Gemini's own API, and the
  # router translates the request and the answer (not a target; what Gemini
  # users pay on top of the OpenAI-compatible rows above).
  wrk_case 2g "2g Gemini upstream" 1 1 "$seq_duration" false /v1beta/models/mock-model:generateContent bench-gemini
  wrk_case 2gs "2g same, streamed (whole stream)" 1 1 "$seq_duration" true \
    "/v1beta/models/mock-model:streamGenerateContent?alt=sse" bench-gemini
fi

# --- case 3: fixed arrival rate -----------------------------------------------------

hk() { if [[ -n "$hop_api_fast" ]]; then kv "$@"; else echo -; fi; }  # kv, or "-" without the hop

want 3 || rates=""
for rate in $rates; do
  note "case 3: $rate req/s for ${rate_duration} s each ..."
  settle
  limit=$(awk -v d="$rate_duration" 'BEGIN { print int(d + 40) }')
  loadgen "$workdir/rate-$rate-direct" "$limit" rate --target "$mock_api_fast" --rate "$rate" \
    --connections "$rate_connections" --duration "$rate_duration" --warmup "$loadgen_warmup"
  : >"$workdir/rate-$rate-hop"
  if [[ -n "$hop_api_fast" ]]; then
    loadgen "$workdir/rate-$rate-hop" "$limit" rate --target "$hop_api_fast" --rate "$rate" \
      --connections "$rate_connections" --duration "$rate_duration" --warmup "$loadgen_warmup"
  fi
  loadgen "$workdir/rate-$rate-via" "$limit" rate --target "$router_api" --model bench --rate "$rate" \
    --connections "$rate_connections" --duration "$rate_duration" --warmup "$loadgen_warmup"
  d=$workdir/rate-$rate-direct v=$workdir/rate-$rate-via h=$workdir/rate-$rate-hop
  row "3 fixed rate $rate/s" "achieved" rps "$(kv "$d" achieved_rps)" "$(kv "$v" achieved_rps)" - "$(hk "$h" achieved_rps)"
  row "" "p50" ms "$(kv "$d" p50_ms)" "$(kv "$v" p50_ms)" - "$(hk "$h" p50_ms)"
  row "" "p99" ms "$(kv "$d" p99_ms)" "$(kv "$v" p99_ms)" - "$(hk "$h" p99_ms)"
  row "" "p99.9" ms "$(kv "$d" p999_ms)" "$(kv "$v" p999_ms)" - "$(hk "$h" p999_ms)"
  row "" "errors" count "$(kv "$d" errors)" "$(kv "$v" errors)" - "$(hk "$h" errors)"
done

# --- case 4: streams ------------------------------------------------------------------

want 4 || stream_concurrency=""
pk() { if [[ -n "$stream_portkey" ]]; then kv "$@"; else echo -; fi; }  # kv, or "-" without Portkey in this variant
# srow LABEL METRIC UNIT KEY: a row of KEY from $base's direct, via, portkey and hop files.
srow() { row "$1" "$2" "$3" "$(kv "$base-direct" "$4")" "$(kv "$base-via" "$4")" "$(pk "$base-portkey" "$4")" "$(hk "$base-hop" "$4")"; }
# Variants: no delay, the delay, and the delay from a Gemini upstream ("4g":
# the mock's own Gemini stream straight and through the hop, which ends
# without [DONE]; the router translates each event; no Portkey). Not a target:
# what a Gemini user's first token pays for the translation.
for variant in 0 "$stream_delay_ms" "${stream_delay_ms}g"; do
  delay=${variant%g}
  for c in $stream_concurrency; do
    gemini_args=() label="4 streams c=$c, ${delay} ms apart" stream_portkey=$portkey_api kind=4
    if [[ "$delay" == 0 ]]; then
      mock=$mock_api_fast model=bench hop=$hop_api_fast
    else
      mock=$mock_api_delay model=bench-delay hop=$hop_api_delay
    fi
    if [[ "$variant" == *g ]]; then
      model=bench-gemini-delay label="4g Gemini, c=$c, ${delay} ms apart" stream_portkey="" kind=4g
      gemini_args=(--path "/v1beta/models/mock-model:streamGenerateContent?alt=sse" --sse-end close)
    fi
    note "case $kind: $c concurrent streams, chunks ${delay} ms apart, ${stream_duration} s each ..."
    settle
    limit=$(awk -v d="$stream_duration" 'BEGIN { print int(d + 45) }')
    base=$workdir/stream-$c-$variant
    loadgen "$base-direct" "$limit" stream --target "$mock" --concurrency "$c" --duration "$stream_duration" \
      --warmup "$loadgen_warmup" "${gemini_args[@]}"
    : >"$base-hop"
    if [[ -n "$hop" ]]; then
      loadgen "$base-hop" "$limit" stream --target "$hop" --concurrency "$c" --duration "$stream_duration" \
        --warmup "$loadgen_warmup" "${gemini_args[@]}"
    fi
    loadgen "$base-via" "$limit" stream --target "$router_api" --model "$model" --concurrency "$c" \
      --duration "$stream_duration" --warmup "$loadgen_warmup"
    : >"$base-portkey"
    if [[ -n "$stream_portkey" ]]; then
      ph=("x-portkey-provider: openai" "x-portkey-custom-host: http://$mock/v1")
      with_portkey loadgen "$base-portkey" "$limit" stream --target "$portkey_api" --concurrency "$c" \
        --duration "$stream_duration" --warmup "$loadgen_warmup" --header "${ph[0]}" --header "${ph[1]}"
    fi
    srow "$label" "ttfb p50" ms ttfb_p50_ms
    srow "" "ttfb p99" ms ttfb_p99_ms
    srow "" "total p50" ms total_p50_ms
    srow "" "total p99" ms total_p99_ms
    srow "" "streams/s" rps streams_per_s
    srow "" "errors" count errors
  done
done

# --- case 5: held streams -------------------------------------------------------------

# hold_run NAME TARGET MODEL WATCHED_PID: loadgen hold in the background while
# the watched process is sampled.
connect_rate=2000
hold_limit=$((hold_seconds + hold_streams / connect_rate + 40))
hold_run() {
  local name=$1 api=$2 model=$3 watched=$4
  note "case 5: $hold_streams streams held ${hold_seconds} s ($name) ..."
  settle
  timeout "$hold_limit" "${pin_load[@]}" "$loadgen_bin" hold --target "$api" --model "$model" \
    --streams "$hold_streams" --connect-rate "$connect_rate" --max-seconds "$((hold_limit - 5))" \
    >"$workdir/hold-$name" 2>"$workdir/hold-$name.err" &
  local lg=$!
  sample_while "$lg" "$watched" "$workdir/hold-$name.proc"
  wait "$lg" || note "loadgen hold ($name) failed: $(tail -n 3 "$workdir/hold-$name.err")"
  [[ -s "$workdir/hold-$name.err" ]] && sed 's/^/  /' "$workdir/hold-$name.err" | head -n 5 >&2
  return 0
}
if want 5; then
idle_rss=$(awk -v k="$(rss_kib "$dataplane_pid")" 'BEGIN { printf "%.1f", k / 1024 }')
: >"$workdir/hold-direct" && : >"$workdir/hold-direct.proc"
[[ "$hold_direct" == 1 ]] && hold_run direct "$mock_api_hold" mock-model "$mock_pid_hold"
hold_run via "$router_api" bench-hold "$dataplane_pid"
hd() { if [[ "$hold_direct" == 1 ]]; then kv "$@"; else echo -; fi; }  # kv, or "-" when not run
read -r d_rss d_cpu <"$workdir/hold-direct.proc" || true
read -r v_rss v_cpu <"$workdir/hold-via.proc" || true
row "5 held streams x$hold_streams" "open at once" count "$(hd "$workdir/hold-direct" peak_open)" "$(kv "$workdir/hold-via" peak_open)"
row "" "completed" count "$(hd "$workdir/hold-direct" completed)" "$(kv "$workdir/hold-via" completed)"
row "" "errors" count "$(hd "$workdir/hold-direct" errors)" "$(kv "$workdir/hold-via" errors)"
row "" "ttfb p99" ms "$(hd "$workdir/hold-direct" ttfb_p99_ms)" "$(kv "$workdir/hold-via" ttfb_p99_ms)"
row "" "peak RSS" MiB "${d_rss:-}" "${v_rss:-}"
row "" "CPU" pct "${d_cpu:-}" "${v_cpu:-}"
fi

# --- case 6: request size -----------------------------------------------------------

want 6 || sizes=""
for size in $sizes; do
  note "case 6: ${size}-byte conversations, ${size_duration} s each ..."
  settle
  limit=$(awk -v d="$size_duration" 'BEGIN { print int(3 * d + 60) }')
  base=$workdir/size-$size
  loadgen "$base-direct" "$limit" size --target "$mock_api_fast" --bytes "$size" --duration "$size_duration"
  loadgen "$base-via" "$limit" size --target "$router_api" --model bench --bytes "$size" --duration "$size_duration"
  loadgen "$base-chain" "$limit" size --target "$router_api" --model bench-chain --bytes "$size" --duration "$size_duration"
  label="6 size $(awk -v b="$size" 'BEGIN { if (b >= 1048576) printf "%g MiB", b / 1048576; else printf "%g KiB", b / 1024 }')"
  row "$label" "p50" ms "$(kv "$base-direct" p50_ms)" "$(kv "$base-via" p50_ms)"
  row "" "p99" ms "$(kv "$base-direct" p99_ms)" "$(kv "$base-via" p99_ms)"
  row "" "req/s" rps "$(kv "$base-direct" rps)" "$(kv "$base-via" rps)"
  row "$label + chain" "p50" ms "$(kv "$base-direct" p50_ms)" "$(kv "$base-chain" p50_ms)"
  row "" "p99" ms "$(kv "$base-direct" p99_ms)" "$(kv "$base-chain" p99_ms)"
  row "" "req/s" rps "$(kv "$base-direct" rps)" "$(kv "$base-chain" rps)"
  row "" "errors" count "$(kv "$base-direct" errors)" "$(kv "$base-via" errors)/$(kv "$base-chain" errors)"
done

# --- case 7: config churn on a managed data plane ------------------------------------

churn_line="not run"
if want 7; then
note "case 7: control plane + managed data plane; wrk without and with SetWeights every ${churn_interval_ms} ms ..."
settle
cat >"$workdir/cluster.yaml" <<YAML
keyProviders:
  bench-key:
    type: literal
    key: sk-bench-upstream
    modelTargets: [".*"]
modelProviders:
  churn-a:
    type: genericoai
    url: http://$mock_api_fast/v1/chat/completions
    modelName: mock-model
  churn-b:
    type: genericoai
    url: http://$mock_api_fast/v1/chat/completions
    modelName: mock-model
  churn:
    type: random
    modelWeights:
      churn-a: 1
      churn-b: 1
YAML
# The control plane sits with the load generators: in production it runs on
# another machine, and its own work (validate, fsync, push) is not the router's.
"${pin_load[@]}" "$controlplane_bin" --config "$workdir/cluster.yaml" --state-dir "$workdir/cp-state" \
  --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 2>"$workdir/controlplane.log" &
pids+=($!)
cp_grpc=$(wait_ready "${pids[-1]}" "$workdir/controlplane.log" switchboard-controlplane grpc)
"${pin_servers[@]}" "$dataplane_bin" --control-plane "$cp_grpc" --node-id bench-managed --listen 127.0.0.1:0 \
  --admin-listen 127.0.0.1:0 "${threads_args[@]}" 2>"$workdir/managed.log" &
pids+=($!)
managed_api=$(wait_ready "${pids[-1]}" "$workdir/managed.log" "switchboard-dataplane (managed)")
managed_admin=$(wait_ready "${pids[-1]}" "$workdir/managed.log" "switchboard-dataplane (managed)" admin)
deadline=$((SECONDS + kReadyTimeoutSeconds))
until answers "managed data plane" "$managed_api" churn; do
  ((SECONDS < deadline)) || { cat "$workdir/last-check" >&2; tail -n 20 "$workdir/managed.log" >&2; die "the managed data plane got no config"; }
  sleep 0.2
done
# Rounds as in cases 1 and 2: without churn, then with it, in turn, so a slow
# spell of the machine falls on both columns alike (one run of each, in
# sequence, put the p99 ratio anywhere from 0.88x to 1.15x with nothing changed).
round_dur=$(round_duration "$duration")
churn_seconds=$(awk -v d="${round_dur%s}" -v w="${wrk_warmup%s}" 'BEGIN { print d + w + 1 }')
base7="" with7="" ratios7="" changes7=0 failed7=0 rpc_p99_7=0
for ((round = 1; round <= wrk_rounds; ++round)); do
  rb=$(wrk_measure 7-base "$wrk_threads" "$connections" "$round_dur" "$managed_api" churn false)
  timeout "$((${churn_seconds%.*} + 30))" "${pin_load[@]}" "$loadgen_bin" churn --control-plane "$cp_grpc" --name churn \
    --members churn-a,churn-b --interval-ms "$churn_interval_ms" --duration "$churn_seconds" \
    >"$workdir/churn" 2>"$workdir/churn.err" &
  churn_pid=$!
  rc=$(wrk_measure 7-churn "$wrk_threads" "$connections" "$round_dur" "$managed_api" churn false)
  wait "$churn_pid" || note "loadgen churn failed: $(tail -n 3 "$workdir/churn.err")"
  base7+="$rb"$'\n' with7+="$rc"$'\n'
  ratios7+=" $(calc "$(cut -d' ' -f4 <<<"$rc") / $(cut -d' ' -f4 <<<"$rb")")"
  changes7=$(awk_int "$changes7 + $(kv "$workdir/churn" changes)")
  failed7=$(awk_int "$failed7 + $(kv "$workdir/churn" errors)")
  rpc_p99=$(kv "$workdir/churn" rpc_p99_ms)
  rpc_p99_7=$(calc "($rpc_p99 > $rpc_p99_7 ? $rpc_p99 : $rpc_p99_7)")
done
((wrk_rounds > 1)) && round_notes+="case 7 churn: p99 with / without churn by round:$ratios7"$'\n'
base7=$(printf '%s' "$base7" | median_run 4)
with7=$(printf '%s' "$with7" | median_run 4)
sleep 1
applied=$(get "$managed_admin" /metrics | awk '/^switchboard_config_version/ { print $2 }' | head -n1)
read -r b_rps b_p50 _ b_p99 b_err <<<"$base7"
read -r c_rps c_p50 _ c_p99 c_err <<<"$with7"
row "7 churn (managed dp, -c$connections)" "req/s" rps "$b_rps" "$c_rps"
row "  direct = no churn" "p50" ms "$b_p50" "$c_p50"
row "  via = SetWeights/${churn_interval_ms}ms" "p99" ms "$b_p99" "$c_p99"
row "" "errors" count "$b_err" "$c_err"
churn_line="changes $changes7, failed $failed7, SetWeights p99 $rpc_p99_7 ms (worst round); data plane serves version ${applied:-?} of $(kv "$workdir/churn" final_version)"
fi

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
read -r ticks_after steal_after < <(cpu_ticks)
steal_pct=$(awk -v t=$((ticks_after - ticks_before)) -v s=$((steal_after - steal_before)) \
  'BEGIN { if (t > 0) printf "%.1f", 100 * s / t; else print "?" }')

# --- report -----------------------------------------------------------------------

echo
echo "Switchboard benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)), $placement"
echo "load average before: $load_before; after: $load_after$([[ "$quick" == 1 ]] && echo "; BENCH_QUICK=1")"
echo "CPU steal during the run: $steal_pct % of all CPU time (above a few %, the hypervisor's other guests slowed this run)"
pgo_mode=$(sed -n 's/^SWITCHBOARD_PGO:[A-Z]*=//p' "$build_dir/CMakeCache.txt" 2>/dev/null | head -n 1)
echo "data plane: $dataplane_threads I/O thread(s), $([[ "$pgo_mode" == use ]] && echo "profile-guided build (scripts/build-pgo), as the image ships it" || echo "plain build, not the image's profile-guided one (scripts/build-pgo)"); mocks: 1 thread each; streamed answers: $chunks chunks x $chunk_bytes B"
echo "portkey: $portkey_status"
echo "hop: $([[ -n "$hop_api_fast" ]] && echo "hop_relay, a bare byte relay (no HTTP) in front of the same mock: one more hop and nothing else" || echo "not run (BENCH_HOP=0)")"
echo "each case starts after sync(1): one case's request log is not written back by the kernel during the next"
((wrk_rounds > 1)) && echo "cases 1 and 2: each column's median of $wrk_rounds interleaved rounds (direct, hop, switchboard, Portkey in turn); case 7: the rounds with the median p99, $wrk_rounds without and with churn in turn"
echo "ratio = switchboard / direct; added = switchboard - direct (latency rows);"
echo "vs hop = switchboard / hop (req/s rows) or switchboard - hop (latency rows): what the router costs beyond the bare hop"
echo
fmt='%-36s %-10s %12s %12s %12s %7s %10s %10s %12s\n'
printf "$fmt" case metric direct hop switchboard ratio added "vs hop" portkey
printf "$fmt" "" "" "" "" "" "" "" "" "" | tr ' ' '-'
for r in "${rows[@]}"; do
  IFS='|' read -r name metric unit d v p h <<<"$r"
  awk -v fmt="$fmt" -v name="$name" -v metric="$metric" -v unit="$unit" -v d="$d" -v v="$v" -v p="$p" -v h="$h" '
    function numeric(x) { return x ~ /^-?[0-9]+(\.[0-9]*)?$/ }
    function show(x) {
      if (x == "") return "-"
      if (!numeric(x)) return x
      if (unit == "ms") return sprintf("%.3f", x)
      if (unit == "rps") return sprintf("%.0f", x)
      if (unit == "pct") return sprintf("%.0f%%", x)
      if (unit == "MiB") return sprintf("%.1f MiB", x)
      return sprintf("%d", x)
    }
    BEGIN {
      have = numeric(d) && numeric(v)
      ratio = (have && unit != "count" && d + 0 > 0) ? sprintf("%.2f", v / d) : "-"
      added = (have && unit == "ms") ? sprintf("%+.3f", v - d) : "-"
      beyond = "-"
      if (numeric(h) && numeric(v)) {
        if (unit == "ms") beyond = sprintf("%+.3f", v - h)
        else if (unit == "rps" && h + 0 > 0) beyond = sprintf("%.2f", v / h)
      }
      printf fmt, name, metric, show(d), show(h), show(v), ratio, added, beyond, show(p)
    }'
done
echo
printf '%s' "$round_notes"
if want 5; then
  echo "case 5: data plane RSS before the streams $idle_rss MiB; direct = the mock's own RSS and CPU"
  [[ -n "$hold_note" ]] && echo "case 5: $hold_note"
fi
echo "case 7: $churn_line"

# --- targets --------------------------------------------------------------------------

w1=${wrk_1:-"? ? ? ?|? ? ? ?|? ? ? ?|? ? ? ?"}
IFS='|' read -r w1d w1v w1p w1h <<<"$w1"
read -r d1_rps _ _ _ <<<"$w1d"
read -r v1_rps _ v1_p99 _ <<<"$w1v"
read -r p1_rps _ _ _ <<<"$w1p"
read -r h1_rps _ _ _ <<<"$w1h"
IFS='|' read -r w2d w2v _ <<<"${wrk_2:-"? ? ? ?|? ? ? ?|"}"
read -r _ d2_p50 d2_p99 _ <<<"$w2d"
read -r _ v2_p50 v2_p99 _ <<<"$w2v"
tgt() { printf '  %-62s %-34s %s\n' "$1" "$2" "$3"; }
echo
echo "Targets (issue 10):"
if want 1; then
f=$(calc "${v1_rps:-0} / (${d1_rps:-0} + 1e-9)")
tgt "1: switchboard >= 0.5 x direct req/s" "$f" "$(verdict "$f >= 0.5")"
if [[ -n "$portkey_api" && "${p1_rps:--}" != - ]]; then
  f=$(calc "${v1_rps:-0} / (${p1_rps} + 1e-9)")
  tgt "1: switchboard >= 20 x Portkey req/s" "$f" "$(verdict "$f >= 20")"
else
  tgt "1: switchboard >= 20 x Portkey req/s" "-" "n/a (portkey $portkey_status)"
fi
if [[ -n "$hop_api_fast" && "${h1_rps:--}" != - ]]; then
  # Not targets: where the physical limit lies on this machine, and how close
  # the router comes to it.
  f=$(calc "${h1_rps} / (${d1_rps:-0} + 1e-9)")
  tgt "1: (for reference) one bare hop / direct req/s" "$f" ""
  f=$(calc "${v1_rps:-0} / (${h1_rps} + 1e-9)")
  tgt "1: (for reference) switchboard / one bare hop req/s" "$f" ""
fi
fi
if want 2; then
f=$(calc "($v2_p50 - $d2_p50) * 1000")
tgt "2: added p50 <= 50 us" "$f us" "$(verdict "$f <= 50")"
f=$(calc "($v2_p99 - $d2_p99) * 1000")
tgt "2: added p99 <= 250 us" "$f us" "$(verdict "$f <= 250")"
fi
if want 3; then
r5k=$workdir/rate-5000-via
if [[ -s "$r5k" ]]; then
  f=$(kv "$r5k" p99_ms) e=$(kv "$r5k" errors)
  tgt "3: at 5k req/s p99 <= 1 ms, no errors" "p99 $f ms, $e errors" "$(verdict "$f <= 1 && $e == 0")"
else
  tgt "3: at 5k req/s p99 <= 1 ms, no errors" "-" "n/a (5000 not in BENCH_RATES)"
fi
fi
if want 4; then
for delay in 0 "$stream_delay_ms"; do
  for c in $stream_concurrency; do
    base=$workdir/stream-$c-$delay
    f=$(calc "($(kv "$base-via" ttfb_p50_ms) - $(kv "$base-direct" ttfb_p50_ms)) * 1000")
    tgt "4: added ttfb p50 <= 100 us (c=$c, ${delay} ms apart)" "$f us" "$(verdict "$f <= 100")"
  done
done
c1=${stream_concurrency%% *}
base=$workdir/stream-$c1-$stream_delay_ms
f=$(calc "$(kv "$base-via" total_p50_ms) - $(kv "$base-direct" total_p50_ms)")
tgt "4: chunks relayed as they come (c=$c1, ${stream_delay_ms} ms apart)" "added total p50 $f ms" \
  "$(verdict "$f < $stream_delay_ms / 2")"
fi
if want 5; then
he=$(kv "$workdir/hold-via" errors) ho=$(kv "$workdir/hold-via" peak_open)
v=$(verdict "$ho >= 10000 && $he == 0")
[[ -n "$hold_note" && "$(verdict "$ho == $hold_streams && $he == 0")" == met ]] &&
  v="NOT met: fd limit; $hold_streams held with no error"
tgt "5: 10,000 streams held, no errors" "$ho open at once, $he errors" "$v"
tgt "5: data plane RSS <= 300 MiB" "${v_rss:-?} MiB" "$(verdict "${v_rss:-?} <= 300")"
fi
if want 6; then
big=${sizes##* } mid=$(echo "$sizes" | awk '{ print (NF >= 2 ? $(NF - 1) : $NF) }')
for kind in via chain; do
  added_big=$(calc "$(kv "$workdir/size-$big-$kind" p50_ms) - $(kv "$workdir/size-$big-direct" p50_ms)")
  added_mid=$(calc "$(kv "$workdir/size-$mid-$kind" p50_ms) - $(kv "$workdir/size-$mid-direct" p50_ms)")
  label=$([[ $kind == via ]] && echo "no chain" || echo "with chain")
  tgt "6: $big B adds <= 5 ms ($label)" "$added_big ms" "$(verdict "$added_big <= 5")"
  per_big=$(calc "$added_big / $big * 1048576")
  per_mid=$(calc "$added_mid / $mid * 1048576")
  tgt "6: linear in size ($label; added ms/MiB, $mid B vs $big B)" "$per_mid vs $per_big" \
    "$(verdict "$per_big <= 1.5 * $per_mid || $added_big <= 1")"
done
fi
if want 7; then
c_p99=${c_p99:-?} b_p99=${b_p99:-?}
f=$(calc "$c_p99 / ($b_p99 + 1e-9)")
tgt "7: p99 with churn within 10% of without" "$f x ($c_p99 vs $b_p99 ms)" "$(verdict "$f <= 1.10")"
f=$(calc "$c_p99 / ($v1_p99 + 1e-9)")
tgt "7: (for reference) churn p99 / case 1 p99" "$f x (${c_p99:-?} vs ${v1_p99:-?} ms)" ""
fi

if grep -q '"level":"error"' "$workdir/dataplane.log" 2>/dev/null; then
  echo
  echo "The data plane logged errors; the last ones:"
  grep '"level":"error"' "$workdir/dataplane.log" | tail -n 5
fi
