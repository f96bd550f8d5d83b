// What the deploy tests share: the command line, the paths of deploy/k8s, and
// the rendered base and overlay (rendered once, on first use).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { checkKubectl, kustomize, ofKind } from './render.mjs';

const { values: opts } = parseArgs({
  options: {
    dataplane: { type: 'string' },
    controlplane: { type: 'string' },
    'config-tool': { type: 'string' },
  },
});
assert.ok(opts.dataplane, 'usage: deploy_test.mjs --dataplane BIN [--controlplane BIN] [--config-tool BIN]');
export { opts };

export const kRepo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const kK8s = path.join(kRepo, 'deploy/k8s');
export const kConfigFile = path.join(kK8s, 'base/config.yaml');
export const kSecretsExample = path.join(kK8s, 'base/secrets.example.env');
export const kDashboardFile = path.join(kK8s, 'grafana/switchboard-dashboard.json');
export const kSecretName = 'switchboard-secrets';
export const kTokenKeys = ['SWITCHBOARD_ADMIN_TOKEN', 'SWITCHBOARD_DATAPLANE_TOKEN'];
export const kDefaultShutdownGraceSeconds = 25;  // server.shutdownGraceSeconds, README.md
export const kBinaries = { 'switchboard-dataplane': opts.dataplane, 'switchboard-controlplane': opts.controlplane };

let rendered;

// {base, homelab}: the objects `kubectl kustomize` renders. Throws (every
// test that needs them fails, saying why) when kubectl is missing or too old.
export function renders() {
  if (!rendered) {
    checkKubectl();
    rendered = {
      base: kustomize(path.join(kK8s, 'base')),
      homelab: kustomize(path.join(kK8s, 'overlays/homelab')),
    };
  }
  return rendered;
}

export function forEachRender(fn) {
  for (const [name, objects] of Object.entries(renders())) fn(name, objects);
}

// KEY=value lines (comments and blank lines skipped), as `kubectl create
// secret --from-env-file` reads them.
export function readEnvFile(file) {
  const out = {};
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    assert.ok(eq > 0, `${file}: '${line}' is not KEY=value`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

// The one Deployment whose pods are app.kubernetes.io/component: COMPONENT.
export function componentOf(objects, component) {
  const found = ofKind(objects, 'Deployment')
    .filter((d) => d.spec.template.metadata.labels['app.kubernetes.io/component'] === component);
  assert.equal(found.length, 1, `one ${component} Deployment`);
  return found[0];
}
