// Offline checks of the Dockerfile: its stages, and whether the runtime stage
// installs every shared library the built binaries load. No container engine
// is needed: `ldd` names the libraries, dpkg says which Debian package owns
// each, and the packages' Depends (from dpkg's database on this Debian 12
// machine, where the same packages are installed for the build) give what apt
// would pull in with the Dockerfile's list.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

// Dockerfile -> [{from, as, instructions: [{op, args}]}], continuation lines
// joined and comments dropped.
export function parseDockerfile(file) {
  const text = fs.readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  const stages = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1].toUpperCase();
    const args = m[2].replace(/\s+/g, ' ').trim();
    if (op === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      stages.push({ from: from[1], as: from[2], instructions: [] });
    } else if (stages.length) {
      stages[stages.length - 1].instructions.push({ op, args });
    }
  }
  return stages;
}

// The package names of every `apt-get install` in a stage's RUN lines.
export function aptInstalls(stage) {
  const packages = [];
  for (const { op, args } of stage.instructions) {
    if (op !== 'RUN') continue;
    for (const command of args.split(/&&|;/)) {
      const words = command.trim().split(' ');
      const at = words.indexOf('install');
      if (words[0] !== 'apt-get' || at < 0) continue;
      packages.push(...words.slice(at + 1).filter((w) => w && !w.startsWith('-')));
    }
  }
  return packages;
}

// Installed packages: name -> {deps: [names], priority}.
function installedPackages() {
  const out = execFileSync('dpkg-query', ['-W', '-f=${Package}\t${Status}\t${Priority}\t${Pre-Depends}, ${Depends}\n'],
                           { encoding: 'utf8', maxBuffer: 64 << 20 });
  const packages = new Map();
  for (const line of out.split('\n')) {
    const [name, status, priority, depends] = line.split('\t');
    if (!name || !status?.endsWith(' installed')) continue;
    const deps = (depends ?? '').split(/[,|]/)
      .map((d) => d.trim().replace(/\s*\(.*\)$/, '').replace(/:any$/, ''))
      .filter(Boolean);
    packages.set(name, { deps, priority });
  }
  return packages;
}

// Packages the names (and what they depend on) bring in.
function closure(names, packages) {
  const seen = new Set();
  const todo = [...names];
  while (todo.length) {
    const name = todo.pop();
    if (seen.has(name)) continue;
    seen.add(name);
    for (const dep of packages.get(name)?.deps ?? []) todo.push(dep);
  }
  return seen;
}

// The packages that own the shared libraries a binary loads.
function libraryPackages(binary) {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs = new Map();  // library path -> the paths dpkg may know it by
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (!m) {
      if (/not found/.test(line)) throw new Error(`${binary}: ${line.trim()}`);
      continue;
    }
    const lib = m[1];
    // Debian 12 merges /lib into /usr/lib; dpkg knows each file by the path its
    // package ships it under, which may be either, and by its link or target.
    const candidates = new Set();
    for (const p of [lib, fs.realpathSync(lib)]) {
      candidates.add(p);
      candidates.add(p.startsWith('/usr/') ? p.slice(4) : '/usr' + p);
    }
    libs.set(lib, [...candidates]);
  }
  // One dpkg call for every path (it exits 1 when some are unknown).
  const search = spawnSync('dpkg', ['-S', ...new Set([...libs.values()].flat())], { encoding: 'utf8' });
  const ownerOf = new Map();
  for (const line of search.stdout.split('\n')) {
    const m = /^([^:,\s]+)(?::\S+)?(?:,[^:]*)?: (\/.*)$/.exec(line);
    if (m) ownerOf.set(m[2], m[1]);
  }
  const owners = new Map();
  for (const [lib, candidates] of libs) {
    const owner = candidates.map((p) => ownerOf.get(p)).find(Boolean);
    if (!owner) throw new Error(`${binary}: no Debian package owns ${lib}`);
    owners.set(lib, owner);
  }
  return owners;
}

// Returns a list of problems: libraries of `binaries` that neither the runtime
// stage's packages nor a minimal Debian (Priority: required, plus apt) provide,
// and runtime packages this Debian does not know.
export function checkRuntimeLibraries(runtimePackages, binaries) {
  const problems = [];
  const packages = installedPackages();
  for (const name of runtimePackages) {
    if (packages.has(name)) continue;
    const known = spawnSync('apt-cache', ['show', name], { encoding: 'utf8' });
    if (known.status !== 0 || !known.stdout.trim()) {
      problems.push(`the Dockerfile installs '${name}', which is not a Debian 12 package here`);
    }
  }
  const base = [...packages].filter(([, p]) => p.priority === 'required').map(([name]) => name);
  const available = closure([...base, 'apt', ...runtimePackages], packages);
  for (const binary of binaries) {
    for (const [lib, owner] of libraryPackages(binary)) {
      if (!available.has(owner)) {
        problems.push(`${binary} loads ${lib} from package ${owner}, which the runtime stage does not install`);
      }
    }
  }
  return problems;
}
