// The Dockerfile: its stages, and the runtime libraries of the built binaries.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';

import { kBinaries, kRepo, opts, renders } from './context.mjs';
import { aptInstalls, checkRuntimeLibraries, parseDockerfile } from './image_check.mjs';
import { containers } from './render.mjs';

describe('container image', () => {
  const stages = parseDockerfile(path.join(kRepo, 'Dockerfile'));

  test('the Dockerfile builds with the repository scripts and runs as user 10001 on debian:12-slim', () => {
    assert.equal(stages.length, 2, 'a build stage and a runtime stage');
    const [build, runtime] = stages;
    assert.equal(build.from, 'debian:12');
    const runs = build.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    assert.match(runs, /(^|\s)scripts\/setup(\s|$)/m, 'the build stage runs scripts/setup');
    assert.match(runs, /(^|\s)scripts\/build(\s|$)/m, 'the build stage runs scripts/build');
    assert.match(runs, /(^|\s)scripts\/build-pgo(\s|$)/m, 'and scripts/build-pgo, the default');
    assert.match(build.instructions.filter((i) => i.op === 'ARG').map((i) => i.args).join('\n'), /^PGO=1$/m,
      'profile-guided by default');
    assert.equal(runtime.from, 'debian:12-slim');
    const user = runtime.instructions.filter((i) => i.op === 'USER').at(-1)?.args;
    assert.match(user ?? '', /^10001(:10001)?$/, 'runs as 10001');
    const copy = runtime.instructions.find((i) => i.op === 'COPY' && i.args.startsWith(`--from=${build.as}`));
    assert.match(copy?.args ?? '', /\/usr\/local\/bin\/?$/, 'the binaries go to /usr/local/bin');
    // Every command the manifests run is one the build stage installs.
    const installed = /for bin in ([^;]*);/.exec(runs)?.[1].trim().split(' ') ?? [];
    for (const { container } of containers(renders().homelab)) {
      assert.ok(installed.includes(container.command[0]), `the image has ${container.command[0]}`);
    }
  });

  test('the runtime stage installs every shared library the binaries load', (t) => {
    const binaries = [...Object.values(kBinaries), opts['config-tool']].filter(Boolean);
    if (!opts.controlplane) t.diagnostic('switchboard-controlplane is not built: not checked');
    if (!opts['config-tool']) t.diagnostic('switchboard-config is not built: not checked');
    assert.deepEqual(checkRuntimeLibraries(aptInstalls(stages.at(-1)), binaries), []);
  });
});
