// Helpers for checking the Grafana dashboard (deploy/k8s/grafana/).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The metric families Switchboard exports that the dashboard shows: it must
// use every one of these, and no others. deploy_test.mjs checks them against
// the real processes' /metrics.
export const kDataPlaneMetrics = [
  'switchboard_requests_total',
  'switchboard_request_duration_seconds',
  'switchboard_time_to_first_token_seconds',
  'switchboard_tokens_total',
  'switchboard_upstream_attempts_total',
  'switchboard_active_requests',
  'switchboard_active_streams',
  'switchboard_route_weight',
  'switchboard_config_version',
  'switchboard_config_updates_total',
];
export const kControlPlaneMetrics = [
  'switchboard_controlplane_connected_dataplanes',
  'switchboard_controlplane_dataplane_connected',
  'switchboard_controlplane_config_changes_total',
  'switchboard_controlplane_pushes_total',
  'switchboard_controlplane_acks_total',
  'switchboard_controlplane_nacks_total',
  'switchboard_controlplane_config_version',
  'switchboard_controlplane_dataplane_applied_version',
];
const kHistograms = ['switchboard_request_duration_seconds', 'switchboard_time_to_first_token_seconds'];

// The variables an expression may use: the dashboard's own, and Grafana's
// $__rate_interval. Nothing else Grafana-only, so that a test can substitute
// these and run every expression against a real Prometheus.
export const kAllowedVariables = ['$namespace', '$job', '$model', '$__rate_interval'];

// Every panel, rows' nested panels included.
export function allPanels(dashboard) {
  const out = [];
  for (const panel of dashboard.panels ?? []) {
    out.push(panel);
    for (const nested of panel.panels ?? []) out.push(nested);
  }
  return out;
}

// The metric family an expression's metric name belongs to (histogram
// series named _bucket/_sum/_count map to the histogram).
export function family(name) {
  for (const h of kHistograms) {
    if (name === `${h}_bucket` || name === `${h}_sum` || name === `${h}_count`) return h;
  }
  return name;
}

// Metric families in a Prometheus text exposition: the series' names and the
// `# TYPE` lines (a family without series yet, such as a per-data-plane gauge
// before any data plane connected, shows only there).
export function exportedFamilies(text) {
  const out = new Set();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) out.add(type[1]);
    else if (line && !line.startsWith('#')) out.add(family(line.split(/[{ ]/)[0]));
  }
  return out;
}

// Metric names used in a PromQL expression (switchboard_* identifiers).
export function metricNames(expr) {
  return [...new Set(expr.match(/\bswitchboard_[a-z0-9_]+/g) ?? [])];
}

// The expression with the dashboard's variables replaced by "match
// anything" and $__rate_interval by a fixed window.
export function substitute(expr) {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replace(/\$(namespace|job|model)\b/g, '.*');
}

// Parses every expression with promtool (each becomes a recording rule, and
// `promtool check rules` parses them). Returns promtool's complaint, or ''.
export function promtoolCheck(exprs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-dashboard-'));
  try {
    const rules = exprs.map((expr, i) => ({ record: `switchboard_dashboard_expr_${i}`, expr: substitute(expr) }));
    const file = path.join(dir, 'rules.json');  // JSON is YAML
    fs.writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }, null, 2));
    const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 30000 });
    if (result.error) {
      throw new Error(`promtool (Debian's prometheus package, scripts/setup installs it): ${result.error.message}`);
    }
    return result.status === 0 ? '' : result.stdout + result.stderr;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
