#!/usr/bin/env bash
# Installs the npm packages of the SDK test (tests/sdk/package.json) into
# tests/sdk/node_modules. Idempotent: does nothing when the pinned `openai`
# version is already there. Called by scripts/setup.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "tests/sdk/install.sh: '$tool' not found; install nodejs and npm (scripts/setup does)" >&2
    exit 1
  fi
done

pinned=$(node -p 'require("./package.json").dependencies.openai')
installed=$(node -p 'try { require("./node_modules/openai/package.json").version } catch { "" }')

if [[ "$installed" == "$pinned" ]]; then
  echo "tests/sdk: openai $pinned already installed"
  exit 0
fi

echo "tests/sdk: installing openai $pinned${installed:+ (found $installed)}"
npm install --no-audit --no-fund
