#!/usr/bin/env bash
# Runs deploy_test.mjs (the offline checks of deploy/k8s and the Dockerfile).
#
#   tests/deploy/run_deploy_test.sh --dataplane BIN [--controlplane BIN] [--config-tool BIN]
#
# Needs node, kubectl and the npm packages tests/deploy/install.sh installs
# (scripts/setup runs it); without them it fails and says why, never skips.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v node >/dev/null; then
  echo "run_deploy_test.sh: 'node' not found; run scripts/setup" >&2
  exit 1
fi
if ! node -e 'for (const p of Object.keys(require(process.argv[1]).dependencies)) require.resolve(p + "/package.json", {paths: [process.argv[2]]})' \
     "$here/package.json" "$here" 2>/dev/null; then
  echo "run_deploy_test.sh: the npm packages of tests/deploy are not installed in $here/node_modules;" \
       "run tests/deploy/install.sh (scripts/setup does) — this test needs them and does not skip" >&2
  exit 1
fi
if ! command -v kubectl >/dev/null; then
  echo "run_deploy_test.sh: 'kubectl' not found. The deploy test renders deploy/k8s with" \
       "'kubectl kustomize' (offline, no cluster) and needs kubectl 1.21 or later;" \
       "Debian 12's kubernetes-client (1.20) is too old for kustomize Components." >&2
  exit 1
fi

cd "$here"
exec node deploy_test.mjs "$@"
