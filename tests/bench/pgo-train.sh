#!/usr/bin/env bash
# The training run of the data plane's profile-guided build (scripts/build-pgo).
#
#   tests/bench/pgo-train.sh BUILD_DIR
#
# Starts BUILD_DIR's switchboard-dataplane in front of two of tests/bench's mock
# upstreams (one answering at once, one streaming with chunks 2 ms apart), each
# both as an OpenAI-compatible and as a Gemini upstream, and sends it what a
# chat front end sends: non-streamed requests at a fixed rate, streams with and
# without pauses between chunks, long conversations with and without a
# processor chain, and the requests that fail (an unknown model, a body that is
# not JSON, no route). Then stops it with SIGTERM, which is when an
# instrumented build writes its profile.
#
# Run against an ordinary build it is a smoke test of the same paths (ctest's
# bench_pgo_train does that). Exits 0 only when every phase ran without an
# error and the data plane stopped cleanly; says which phase failed otherwise.
# About 20 seconds; every wait has a timeout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=${1:?usage: tests/bench/pgo-train.sh BUILD_DIR}
dataplane=$build_dir/dataplane/switchboard-dataplane
mock=$build_dir/tests/bench/mock_upstream
loadgen=$build_dir/tests/bench/loadgen
for bin in "$dataplane" "$mock" "$loadgen"; do
  [[ -x $bin ]] || { echo "pgo-train: $bin is not built" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "pgo-train: needs curl (scripts/setup installs it)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "pgo-train: $*" >&2; exit 1; }

bench_script=pgo-train
# shellcheck source=ready.sh
source "$here/ready.sh"

"$mock" --port 0 --threads 1 2>"$work/mock.log" &
pids+=($!)
mock_api=$(wait_ready $! "$work/mock.log" "mock_upstream") || exit 1
"$mock" --port 0 --threads 1 --chunks 20 --chunk-bytes 16 --chunk-delay-ms 2 2>"$work/mock-delay.log" &
pids+=($!)
mock_delay_api=$(wait_ready $! "$work/mock-delay.log" "mock_upstream (delay)") || exit 1

cat >"$work/config.yaml" <<YAML
keyProviders:
  bench:
    type: literal
    key: sk-pgo-train
    modelTargets: [".*"]
modelProviders:
  bench:
    type: genericoai
    url: http://$mock_api/v1/chat/completions
    modelName: mock-model
  bench-delay:
    type: genericoai
    url: http://$mock_delay_api/v1/chat/completions
    modelName: mock-model
  bench-gemini:
    type: gemini
    url: http://$mock_api/v1beta/models
    modelName: mock-model
  bench-gemini-delay:
    type: gemini
    url: http://$mock_delay_api/v1beta/models
    modelName: mock-model
  bench-chain:
    type: genericoai
    url: http://$mock_api/v1/chat/completions
    modelName: mock-model
    processorChain: roleplay
processorChains:
$(cat "$here/roleplay-chain.yaml")
YAML

"$dataplane" --config "$work/config.yaml" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  2>"$work/dataplane.log" &
dataplane_pid=$!
pids+=($dataplane_pid)
api=$(wait_ready "$dataplane_pid" "$work/dataplane.log" "switchboard-dataplane") || exit 1
admin=$(wait_ready "$dataplane_pid" "$work/dataplane.log" "switchboard-dataplane" admin) || exit 1

# phase NAME LOADGEN-ARGS...: one loadgen run; fails on an error or on nothing done.
phase() {
  local name=$1 out
  shift
  out=$(timeout 60 "$loadgen" "$@" --target "$api") || fail "$name: loadgen failed: $out"
  local ok errors
  ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$out")
  errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$out")
  [[ ${ok:-0} -gt 0 && ${errors:-1} -eq 0 ]] || fail "$name: $out"
  echo "pgo-train: $name: ok=$ok"
}
phase "non-streamed, 2,000/s" rate --model bench --rate 2000 --connections 16 --duration 3 --warmup 0
phase "streams, no pause" stream --model bench --concurrency 16 --duration 2 --warmup 0
phase "streams, 2 ms pauses" stream --model bench-delay --concurrency 16 --duration 2 --warmup 0
phase "Gemini, non-streamed, 1,000/s" rate --model bench-gemini --rate 1000 --connections 16 --duration 2 --warmup 0
phase "Gemini streams, no pause" stream --model bench-gemini --concurrency 16 --duration 1 --warmup 0
phase "Gemini streams, 2 ms pauses" stream --model bench-gemini-delay --concurrency 16 --duration 2 --warmup 0
phase "4 KiB conversations" size --model bench --bytes 4096 --duration 1
phase "100 KiB conversations" size --model bench --bytes 102400 --duration 1
phase "4 KiB conversations, processor chain" size --model bench-chain --bytes 4096 --duration 1
phase "100 KiB conversations, processor chain" size --model bench-chain --bytes 102400 --duration 1

# expect STATUS CURL-ARGS...: one request that must get STATUS.
expect() {
  local want=$1 got
  shift
  got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@") || true
  [[ $got == "$want" ]] || fail "expected $want, got $got from: $*"
}
chat=http://$api/v1/chat/completions
for _ in $(seq 50); do
  expect 200 "http://$api/v1/models"
  expect 404 -H 'content-type: application/json' \
    -d '{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}' "$chat"
  expect 400 -H 'content-type: application/json' -d '{"model":"bench","messages":' "$chat"
  expect 404 "http://$api/v1/no-such-path"
  expect 200 "http://$admin/metrics"
done
echo "pgo-train: error paths and /metrics: 250 requests"

kill -TERM "$dataplane_pid"
status=0
for ((i = 0; i < 100; i++)); do
  kill -0 "$dataplane_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$dataplane_pid" 2>/dev/null && fail "the data plane did not stop within 10 s of SIGTERM"
wait "$dataplane_pid" || status=$?
[[ $status -eq 0 ]] || fail "the data plane exited with status $status: $(tail -n 3 "$work/dataplane.log")"
echo "pgo-train: the data plane stopped cleanly"
