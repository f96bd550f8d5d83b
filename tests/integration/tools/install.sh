#!/usr/bin/env bash
# Installs the npm packages of the integration tests' tools (package.json here)
# into tests/integration/tools/node_modules: `buf`, whose `buf curl` runs the
# README's grpcurl walkthrough against a real control plane. Idempotent: does
# nothing when the pinned version is already there. Called by scripts/setup.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "tests/integration/tools/install.sh: '$tool' not found; install nodejs and npm (scripts/setup does)" >&2
    exit 1
  fi
done

pinned=$(node -p 'require("./package.json").dependencies["@bufbuild/buf"]')
installed=$(node -p 'try { require("./node_modules/@bufbuild/buf/package.json").version } catch { "" }')

if [[ "$installed" == "$pinned" ]] && [[ -x node_modules/.bin/buf ]]; then
  echo "tests/integration/tools: buf $pinned already installed"
  exit 0
fi

echo "tests/integration/tools: installing @bufbuild/buf $pinned${installed:+ (found $installed)}"
npm install --no-audit --no-fund --no-package-lock
