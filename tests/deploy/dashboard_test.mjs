// The Grafana dashboard: its ConfigMap, its variables, its queries, and the
// metrics they use against what the real processes export.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

import { kConfigFile, kDashboardFile, kSecretsExample, kTokenKeys, opts, readEnvFile, renders } from './context.mjs';
import {
  allPanels, exportedFamilies, family, kAllowedVariables, kControlPlaneMetrics, kDataPlaneMetrics, metricNames,
  promtoolCheck,
} from './dashboard_check.mjs';
import { helpFlags, startControlPlane, startDataPlane, startProcess } from './processes.mjs';
import { ofKind } from './render.mjs';

const kSubscribeTimeoutMs = 15000;
// Series the control plane has only for subscribed data planes.
const kPerDataPlaneMetrics = [
  'switchboard_controlplane_dataplane_applied_version',
  'switchboard_controlplane_dataplane_connected',
];

// The example Secret's upstream keys, without the tokens (the control plane
// these tests start has none).
function upstreamKeys() {
  return Object.fromEntries(Object.entries(readEnvFile(kSecretsExample)).filter(([k]) => !kTokenKeys.includes(k)));
}

describe('Grafana dashboard', () => {
  const text = fs.readFileSync(kDashboardFile, 'utf8');
  const dashboard = JSON.parse(text);
  const exprs = allPanels(dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.expr));

  test('the dashboard ConfigMap holds the dashboard file, labelled for the Grafana sidecar', () => {
    const cms = ofKind(renders().homelab, 'ConfigMap').filter((c) => c.metadata.labels?.grafana_dashboard === '1');
    assert.equal(cms.length, 1, 'one ConfigMap labelled grafana_dashboard: "1"');
    assert.deepEqual(Object.keys(cms[0].data), ['switchboard-dashboard.json']);
    assert.equal(cms[0].data['switchboard-dashboard.json'], text, 'same text as grafana/switchboard-dashboard.json');
    // kubectl apply keeps a copy in an annotation, limited to 256 KiB.
    assert.ok(Buffer.byteLength(text) < 128 * 1024, 'small enough for kubectl apply');
  });

  test('the dashboard has a Prometheus data source variable and namespace, job and model variables', () => {
    assert.ok(dashboard.schemaVersion >= 36, 'schemaVersion');
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    assert.equal(vars.datasource?.type, 'datasource');
    assert.equal(vars.datasource?.query, 'prometheus');
    for (const name of ['namespace', 'job', 'model']) {
      assert.equal(vars[name]?.type, 'query', `variable ${name}`);
      assert.equal(vars[name].datasource?.uid, '${datasource}', `variable ${name} uses the data source variable`);
      assert.equal(vars[name].allValue, '.*', `variable ${name}: All matches series without the label too`);
    }
  });

  test('every panel has an expression; every expression parses and uses only known metrics and variables', () => {
    const ids = new Set();
    for (const panel of allPanels(dashboard)) {
      assert.ok(!ids.has(panel.id), `panel id ${panel.id} is unique`);
      ids.add(panel.id);
      if (panel.type === 'row') continue;
      assert.ok(panel.targets?.length, `panel '${panel.title}' has targets`);
      assert.equal(panel.datasource?.uid, '${datasource}', `panel '${panel.title}' uses the data source variable`);
      for (const t of panel.targets) {
        assert.ok(t.expr?.trim(), `panel '${panel.title}' target ${t.refId} has an expr`);
        for (const v of t.expr.match(/\$\{?\w+\}?/g) ?? []) {
          assert.ok(kAllowedVariables.includes(v), `panel '${panel.title}': ${v} is not one of ${kAllowedVariables}`);
        }
        for (const m of metricNames(t.expr)) {
          assert.ok([...kDataPlaneMetrics, ...kControlPlaneMetrics].includes(family(m)),
                    `panel '${panel.title}': unknown metric ${m}`);
        }
      }
    }
    assert.equal(promtoolCheck(exprs), '', 'promtool parses every expression');
    const used = new Set(exprs.flatMap(metricNames).map(family));
    for (const m of [...kDataPlaneMetrics, ...kControlPlaneMetrics]) {
      assert.ok(used.has(m), `the dashboard shows ${m}`);
    }
  });

  test('every data-plane metric the dashboard uses is one the real data plane exports', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-deploy-metrics-'));
    const file = path.join(dir, 'config.yaml');
    // A trivial random model, and a model whose upstream refuses connections
    // (so an upstream attempt is counted).
    fs.writeFileSync(file, [
      'modelProviders:',
      '  echo-a: {type: trivial, output: "a a a a a a", chunkDelayMs: 1}',
      '  echo-b: {type: trivial, output: "b b b b b b", chunkDelayMs: 1}',
      '  mix: {type: random, modelWeights: {echo-a: 1, echo-b: 1}}',
      '  refused: {type: genericoai, url: "http://127.0.0.1:1/v1", modelName: nothing}',
      '',
    ].join('\n'));
    let dp;
    try {
      dp = await startDataPlane(opts.dataplane, file, { PATH: process.env.PATH });
      const post = (body) => fetch(`http://${dp.api}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
        signal: AbortSignal.timeout(15000),
      }).then((r) => r.text());
      await post({ model: 'mix', stream: true });
      await post({ model: 'mix' });
      await post({ model: 'refused' });
      const metrics = await (await fetch(`http://${dp.admin}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      const exported = exportedFamilies(metrics);
      const used = new Set(exprs.flatMap(metricNames).map(family).filter((m) => kDataPlaneMetrics.includes(m)));
      for (const m of used) assert.ok(exported.has(m), `the data plane's /metrics has ${m}`);
    } finally {
      if (dp) await dp.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the real control plane starts with the ConfigMap\'s config and exports every control-plane metric the dashboard uses', async (t) => {
    if (!opts.controlplane) {
      t.skip('switchboard-controlplane is not built');
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-deploy-cp-'));
    // Not the example Secret's variables: the control plane must not need the
    // upstream keys (it validates without resolving them).
    const env = { PATH: process.env.PATH };
    let cp;
    let dp;
    try {
      cp = await startControlPlane(opts.controlplane, kConfigFile, path.join(dir, 'state'), env);
      const used = new Set(exprs.flatMap(metricNames).map(family).filter((m) => kControlPlaneMetrics.includes(m)));
      const scrape = async () => exportedFamilies(
        await (await fetch(`http://${cp.metrics}/metrics`, { signal: AbortSignal.timeout(5000) })).text());
      // The per-data-plane series exist once a data plane has subscribed.
      if (helpFlags(opts.dataplane).has('--control-plane')) {
        dp = await startProcess(opts.dataplane, [
          '--control-plane', cp.grpc, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--node-id', 'deploy-test',
        ], { ...env, ...upstreamKeys() });
        const deadline = Date.now() + kSubscribeTimeoutMs;
        let exported = await scrape();
        while ([...used].some((m) => !exported.has(m)) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          exported = await scrape();
        }
      } else {
        t.diagnostic(`the data plane has no --control-plane yet: not checked, ${kPerDataPlaneMetrics.join(', ')}`);
        for (const m of kPerDataPlaneMetrics) used.delete(m);
      }
      const exported = await scrape();
      for (const m of used) assert.ok(exported.has(m), `the control plane's /metrics has ${m}`);
    } finally {
      if (dp) await dp.stop();
      if (cp) await cp.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
