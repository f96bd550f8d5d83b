// The config in the ConfigMap and the example Secret.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';

import { kConfigFile, kSecretsExample, kTokenKeys, opts, readEnvFile, renders } from './context.mjs';
import { runConfigCheck, startDataPlane } from './processes.mjs';
import { ofKind } from './render.mjs';

describe('config and Secret', () => {
  test('the example Secret holds exactly the environment variables the config references, plus the two tokens', () => {
    const config = parseYaml(fs.readFileSync(kConfigFile, 'utf8'));
    // Upstream keys (`environment` key providers) and client keys read from
    // the environment.
    const envVars = [
      ...Object.values(config.keyProviders ?? {}).filter((kp) => kp.type === 'environment').map((kp) => kp.envVar),
      ...Object.values(config.clientKeys ?? {}).map((ck) => ck.envVar).filter(Boolean),
    ];
    assert.ok(envVars.length, 'the example config uses at least one environment key');
    const example = readEnvFile(kSecretsExample);
    assert.deepEqual(Object.keys(example).sort(), [...new Set([...envVars, ...kTokenKeys])].sort(),
                     'secrets.example.env keys = the config\'s environment variables + the two tokens');
    for (const [key, value] of Object.entries(example)) {
      assert.match(value, /^change-me/, `${key}: the example holds a placeholder, not a key`);
    }
  });

  test('the ConfigMap holds config.yaml, and it passes the validator with the example Secret', async (t) => {
    for (const [name, objects] of Object.entries(renders())) {
      const cms = ofKind(objects, 'ConfigMap').filter((c) => c.metadata.name.startsWith('switchboard-config-'));
      assert.equal(cms.length, 1, `${name}: one generated switchboard-config ConfigMap`);
      assert.equal(cms[0].data['config.yaml'], fs.readFileSync(kConfigFile, 'utf8'), `${name}: same text as base/config.yaml`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-deploy-config-'));
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, ofKind(renders().homelab, 'ConfigMap')
      .find((c) => c.metadata.name.startsWith('switchboard-config-')).data['config.yaml']);
    // Only the example Secret's variables: proves they are enough.
    const env = { PATH: process.env.PATH, ...readEnvFile(kSecretsExample) };
    try {
      if (opts['config-tool']) {
        const { status, output } = runConfigCheck(opts['config-tool'], file, env);
        assert.equal(status, 0, `switchboard-config check: ${output}`);
      } else {
        t.diagnostic('switchboard-config is not built: the data plane start below is the check');
      }
      // The data plane itself loads it (and resolves its environment keys):
      // it must get as far as "ready".
      const dp = await startDataPlane(opts.dataplane, file, env);
      await dp.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
