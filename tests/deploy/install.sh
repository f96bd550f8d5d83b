#!/usr/bin/env bash
# Installs the npm packages of the deploy tests (tests/deploy/package.json, with
# the exact tree of package-lock.json) into tests/deploy/node_modules.
# Idempotent: does nothing when the pinned versions are already there. Called by
# scripts/setup.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "tests/deploy/install.sh: '$tool' not found; install nodejs and npm (scripts/setup does)" >&2
    exit 1
  fi
done

# Every pinned dependency at its pinned version?
missing=$(node -e '
  const deps = require("./package.json").dependencies;
  const out = [];
  for (const [name, version] of Object.entries(deps)) {
    let installed = "";
    try { installed = require(`./node_modules/${name}/package.json`).version; } catch {}
    if (installed !== version) out.push(`${name}@${version}`);
  }
  console.log(out.join(" "));
')
if [[ -z "$missing" ]]; then
  echo "tests/deploy: npm packages already installed"
  exit 0
fi

echo "tests/deploy: installing $missing"
npm ci --no-audit --no-fund
