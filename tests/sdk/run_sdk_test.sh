#!/usr/bin/env bash
# Runs openai_sdk_test.mjs against a real data plane.
#
#   tests/sdk/run_sdk_test.sh DATAPLANE_BIN
#
# Starts a fake Gemini API (fake_gemini.mjs), writes a config with `trivial`
# models and a `gemini` model served by the fake, starts DATAPLANE_BIN on
# ephemeral loopback ports, waits (20 s at most) for its "ready" log line, runs
# the SDK test against the API port and exits with the test's status. Both
# processes are stopped on every way out. Needs tests/sdk/install.sh to have run.
set -euo pipefail

readonly kReadyTimeoutSeconds=20
readonly kTestTimeoutSeconds=120
readonly kModel=triv
readonly kGeminiModel=gem
readonly kKey=sk-switchboard-sdk-test

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DATAPLANE_BIN" >&2
  exit 2
fi
dataplane=$1
if [[ ! -x "$dataplane" ]]; then
  echo "run_sdk_test.sh: data plane binary '$dataplane' is not executable" >&2
  exit 1
fi
if ! command -v node >/dev/null; then
  echo "run_sdk_test.sh: 'node' not found; run scripts/setup" >&2
  exit 1
fi
if [[ ! -f "$here/node_modules/openai/package.json" ]]; then
  echo "run_sdk_test.sh: the openai npm SDK is not installed in $here/node_modules;" \
       "run tests/sdk/install.sh (scripts/setup does) — this test needs it and does not skip" >&2
  exit 1
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-sdk-test.XXXXXX")
dataplane_pid=
gemini_pid=

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [[ -n "$gemini_pid" ]]; then
    kill -TERM "$gemini_pid" 2>/dev/null || true
    wait "$gemini_pid" 2>/dev/null || true
  fi
  if [[ -n "$dataplane_pid" ]] && kill -0 "$dataplane_pid" 2>/dev/null; then
    kill -TERM "$dataplane_pid" 2>/dev/null || true
    # Give it the time to drain, then make sure it is gone.
    for _ in $(seq 50); do
      kill -0 "$dataplane_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$dataplane_pid" 2>/dev/null || true
    wait "$dataplane_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_dataplane_log() {
  echo "--- data plane stderr (last 40 lines) ---" >&2
  tail -n 40 "$workdir/dataplane.log" >&2 || true
  echo "---" >&2
}

# The fake Gemini, and its port from its {"listening":PORT} line.
node "$here/fake_gemini.mjs" "$kKey" >"$workdir/gemini.out" 2>"$workdir/gemini.err" &
gemini_pid=$!
gemini_port=
deadline=$((SECONDS + kReadyTimeoutSeconds))
while [[ -z "$gemini_port" ]]; do
  if ! kill -0 "$gemini_pid" 2>/dev/null || ((SECONDS >= deadline)); then
    echo "run_sdk_test.sh: the fake Gemini did not start" >&2
    cat "$workdir/gemini.err" >&2 || true
    exit 1
  fi
  gemini_port=$(sed -n 's/^{"listening":\([0-9]*\)}$/\1/p' "$workdir/gemini.out" 2>/dev/null || true)
  [[ -n "$gemini_port" ]] || sleep 0.05
done

cat >"$workdir/config.yaml" <<YAML
keyProviders:
  sdk-test-key:
    type: literal
    key: $kKey
    modelTargets: [".*"]
modelProviders:
  triv:
    type: trivial
    output: "Hello from Switchboard. This sentence is long enough to arrive in several chunks."
    chunkDelayMs: 1
  triv-default:
    type: trivial
    chunkDelayMs: 1
  $kGeminiModel:
    type: gemini
    url: http://127.0.0.1:$gemini_port
    modelName: gemini-2.5-flash
YAML

"$dataplane" --config "$workdir/config.yaml" \
  --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  2>"$workdir/dataplane.log" &
dataplane_pid=$!

# Wait for {"msg":"ready","api":"HOST:PORT",...} on its stderr.
api=
deadline=$((SECONDS + kReadyTimeoutSeconds))
while [[ -z "$api" ]]; do
  if ! kill -0 "$dataplane_pid" 2>/dev/null; then
    status=0
    wait "$dataplane_pid" || status=$?
    dataplane_pid=
    echo "run_sdk_test.sh: the data plane exited with status $status before it was ready" >&2
    show_dataplane_log
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "run_sdk_test.sh: no \"msg\":\"ready\" line from the data plane within ${kReadyTimeoutSeconds} s" >&2
    show_dataplane_log
    exit 1
  fi
  api=$(grep -m1 '"msg":"ready"' "$workdir/dataplane.log" 2>/dev/null |
        sed -n 's/.*"api":"\([^"]*\)".*/\1/p' || true)
  [[ -n "$api" ]] || sleep 0.05
done

echo "data plane ready, API at $api"
status=0
(cd "$here" && timeout "$kTestTimeoutSeconds" node openai_sdk_test.mjs "http://$api/v1" "$kModel" "$kGeminiModel") || status=$?
if ((status != 0)); then
  if ((status == 124)); then
    echo "run_sdk_test.sh: the SDK test did not finish within ${kTestTimeoutSeconds} s" >&2
  fi
  show_dataplane_log
fi
exit "$status"
