// Running Switchboard's binaries from the tests: --help, and a data plane on
// loopback ports that is waited for (with a timeout) and always stopped.

import { spawn, spawnSync } from 'node:child_process';

const kReadyTimeoutMs = 20000;
const kStopTimeoutMs = 10000;

// The flags (--name) a binary's --help text names.
export function helpFlags(binary) {
  const result = spawnSync(binary, ['--help'], { encoding: 'utf8', timeout: 10000 });
  if (result.error) throw new Error(`${binary} --help: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${binary} --help exited with ${result.status}: ${result.stderr}`);
  }
  const text = result.stdout + result.stderr;
  return new Set(text.match(/--[a-z][a-z0-9-]*/g) ?? []);
}

// Runs `tool check FILE`; returns {status, output}.
export function runConfigCheck(tool, file, env) {
  const result = spawnSync(tool, ['check', file], { encoding: 'utf8', timeout: 30000, env });
  if (result.error) throw new Error(`${tool} check: ${result.error.message}`);
  return { status: result.status, output: result.stdout + result.stderr };
}

// Starts a Switchboard process and resolves to {ready, log(), stop()} once its
// "ready" log line appears (`ready` is that line, parsed: the addresses it
// bound); rejects with its log when it exits first (a config error exits 2) or
// takes too long. stop() sends SIGTERM and waits (SIGKILL after a timeout).
export function startProcess(binary, args, env) {
  const child = spawn(binary, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });

  async function stop() {
    if (exited) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), kStopTimeoutMs);
    const result = await exitPromise;
    clearTimeout(timer);
    return result;
  }

  const name = binary.split('/').pop();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop().then(() => reject(new Error(
        `no "ready" line from ${name} within ${kReadyTimeoutMs} ms; its log:\n${log}`)));
    }, kReadyTimeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${binary}: ${err.message}`));
    });
    exitPromise.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (status ${code}, signal ${signal}) before it was ready; its log:\n${log}`));
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      log += chunk;
      for (const line of log.split('\n')) {
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry.msg === 'ready') {
          clearTimeout(timer);
          resolve({ ready: entry, log: () => log, stop });
          return;
        }
      }
    });
  });
}

// A data plane with `--config FILE` on ephemeral loopback ports; adds `api`
// and `admin` (HOST:PORT) to what startProcess resolves to.
export async function startDataPlane(binary, configFile, env) {
  const p = await startProcess(binary, [
    '--config', configFile, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
  ], env);
  return { ...p, api: p.ready.api, admin: p.ready.admin };
}

// A control plane with `--config FILE --state-dir DIR` on ephemeral loopback
// ports, without tokens (allowed on loopback); adds `grpc` and `metrics`.
export async function startControlPlane(binary, configFile, stateDir, env) {
  const p = await startProcess(binary, [
    '--config', configFile, '--state-dir', stateDir,
    '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0',
  ], env);
  return { ...p, grpc: p.ready.grpc, metrics: p.ready.metrics };
}
