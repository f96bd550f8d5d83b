// Rendering deploy/k8s with `kubectl kustomize` (offline: no cluster is
// contacted) and small helpers to look at the rendered objects.

import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

// deploy/k8s uses kustomize Components (components/monitoring), which need
// kustomize 3.7 or later: the one inside kubectl 1.21 and later (v4+).
const kMinKustomizeMajor = 4;

// Throws an Error that says what to install when kubectl is missing or its
// kustomize is too old. Returns kubectl's kustomize version.
export function checkKubectl() {
  let out;
  try {
    out = execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  } catch (err) {
    throw new Error(
      `tests/deploy needs kubectl (its built-in kustomize renders deploy/k8s offline) and could ` +
      `not run it: ${err.code === 'ENOENT' ? 'kubectl is not on PATH' : err.message}. Install ` +
      `kubectl 1.21 or later (Debian 12's kubernetes-client package is 1.20, too old for kustomize ` +
      `Components); this test does not skip without it.`);
  }
  const version = JSON.parse(out).kustomizeVersion ?? '';
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  if (major < kMinKustomizeMajor) {
    throw new Error(
      `kubectl's kustomize is '${version || 'unknown'}'; deploy/k8s uses kustomize Components, ` +
      `which need the kustomize of kubectl 1.21 or later (v${kMinKustomizeMajor}+)`);
  }
  return version;
}

// Renders a kustomization directory; returns the objects.
export function kustomize(dir) {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const objects = [];
  for (const doc of parseAllDocuments(out)) {
    if (doc.errors.length) throw new Error(`kubectl kustomize ${dir}: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj) objects.push(obj);
  }
  return objects;
}

export function named(objects, kind, name) {
  return objects.find((o) => o.kind === kind && o.metadata?.name === name);
}

export function ofKind(objects, kind) {
  return objects.filter((o) => o.kind === kind);
}

export function label(obj) {
  return `${obj.kind}/${obj.metadata?.name}`;
}

// Does a Kubernetes label selector (matchLabels / matchExpressions In, NotIn,
// Exists, DoesNotExist) select these labels?
export function selects(selector, labels = {}) {
  if (!selector) return false;
  const matchLabels = selector.matchLabels ?? (selector.matchExpressions ? {} : selector);
  for (const [k, v] of Object.entries(matchLabels)) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

// The pod templates' containers: [{workload, pod, container}].
export function containers(objects) {
  const out = [];
  for (const workload of ofKind(objects, 'Deployment')) {
    const pod = workload.spec.template.spec;
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      out.push({ workload, pod, container });
    }
  }
  return out;
}

// A probe's or Service's port (number or name) as a container port number, or
// undefined when the container has no such port.
export function resolvePort(container, port) {
  if (typeof port === 'number') {
    return (container.ports ?? []).some((p) => p.containerPort === port) ? port : undefined;
  }
  return (container.ports ?? []).find((p) => p.name === port)?.containerPort;
}

// `--flag value` and `--flag=value` pairs of a container's args, in order.
export function flags(args = []) {
  const out = [];
  for (let i = 0; i < args.length; ++i) {
    const arg = args[i];
    if (!arg.startsWith('--')) throw new Error(`argument '${arg}' does not follow a --flag`);
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      out.push({ name: arg.slice(0, eq), value: arg.slice(eq + 1) });
    } else if (i + 1 < args.length && !args[i + 1].startsWith('--')) {
      out.push({ name: arg, value: args[++i] });
    } else {
      out.push({ name: arg, value: undefined });
    }
  }
  return out;
}

export function flagValue(container, name) {
  return flags(container.args).find((f) => f.name === name)?.value;
}

// "HOST:PORT" -> {host, port}
export function hostPort(address) {
  const m = /^(.*):(\d+)$/.exec(address ?? '');
  if (!m) throw new Error(`'${address}' is not HOST:PORT`);
  return { host: m[1], port: Number(m[2]) };
}
