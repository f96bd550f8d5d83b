# Sourced by run.sh and pgo-train.sh: waiting for a started process's ready line.
#
# wait_ready PID LOG NAME [FIELD]: waits for the {"msg":"ready",...} line in LOG
# and prints its FIELD (default "api"), a HOST:PORT. Fails, with the end of LOG
# on stderr, when the process exits first or is not ready within
# kReadyTimeoutSeconds (default 20). Messages start with $bench_script.
wait_ready() {
  local pid=$1 log=$2 name=$3 field=${4:-api} value=
  local timeout=${kReadyTimeoutSeconds:-20}
  local deadline=$((SECONDS + timeout))
  while [[ -z "$value" ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$bench_script: $name exited before it was ready; its stderr:" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "$bench_script: $name not ready within ${timeout} s; its stderr:" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    value=$(grep -m1 '"msg":"ready"' "$log" 2>/dev/null | sed -n "s/.*\"$field\":\"\\([^\"]*\\)\".*/\\1/p" || true)
    [[ -n "$value" ]] || sleep 0.05
  done
  echo "$value"
}
