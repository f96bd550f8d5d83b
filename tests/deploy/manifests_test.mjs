// The rendered manifests: schema, security settings, ports and flags, the
// control plane and data plane invariants, NetworkPolicy, PDB, the overlay.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';

import {
  componentOf, forEachRender, kBinaries, kConfigFile, kDefaultShutdownGraceSeconds, kSecretName, kSecretsExample,
  readEnvFile, renders,
} from './context.mjs';
import { helpFlags } from './processes.mjs';
import { containers, flags, flagValue, hostPort, label, named, ofKind, resolvePort, selects } from './render.mjs';
import { checkKnownFields, validateWithModels } from './schema.mjs';

describe('rendered manifests', () => {
  test('kubectl kustomize renders the base and the homelab overlay', () => {
    const kinds = (objects) => new Set(objects.map((o) => o.kind));
    for (const kind of ['Namespace', 'ConfigMap', 'Deployment', 'Service', 'PersistentVolumeClaim',
                        'PodDisruptionBudget', 'NetworkPolicy']) {
      assert.ok(kinds(renders().base).has(kind), `base has a ${kind}`);
    }
    for (const kind of ['Ingress', 'ServiceMonitor', 'PodMonitor']) {
      assert.ok(kinds(renders().homelab).has(kind), `homelab overlay has a ${kind}`);
    }
    forEachRender((name, objects) => {
      assert.ok(!objects.some((o) => o.kind === 'Secret'), `${name}: no Secret is rendered (keys stay out of git)`);
      for (const o of objects) {
        if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'switchboard', `${name}: ${label(o)} namespace`);
      }
    });
  });

  test('every object passes the Kubernetes / Prometheus Operator schema, with no unknown field', async () => {
    for (const [name, objects] of Object.entries(renders())) {
      assert.deepEqual(await validateWithModels(objects), [], `${name}: schema errors`);
      assert.deepEqual(checkKnownFields(objects), [], `${name}: unknown or mistyped fields`);
    }
  });

  test('every container has probes, requests and limits, and runs non-root, read-only, without capabilities', () => {
    forEachRender((name, objects) => {
      for (const { workload, pod, container } of containers(objects)) {
        const where = `${name}: ${label(workload)} container ${container.name}`;
        assert.ok(container.readinessProbe, `${where}: readinessProbe`);
        assert.ok(container.livenessProbe, `${where}: livenessProbe`);
        for (const r of ['cpu', 'memory']) {
          assert.ok(container.resources?.requests?.[r], `${where}: requests.${r}`);
          assert.ok(container.resources?.limits?.[r], `${where}: limits.${r}`);
        }
        const sc = container.securityContext ?? {};
        const psc = pod.securityContext ?? {};
        assert.equal(sc.runAsNonRoot ?? psc.runAsNonRoot, true, `${where}: runAsNonRoot`);
        assert.equal(sc.runAsUser ?? psc.runAsUser, 10001, `${where}: runAsUser 10001 (the image's user)`);
        assert.equal(sc.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
        assert.equal(sc.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation false`);
        assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${where}: capabilities drop ALL`);
        assert.ok(!sc.capabilities?.add?.length, `${where}: no capabilities added`);
        assert.equal((sc.seccompProfile ?? psc.seccompProfile)?.type, 'RuntimeDefault', `${where}: seccomp`);
        assert.ok(!sc.privileged, `${where}: not privileged`);
        assert.equal(pod.automountServiceAccountToken, false, `${where}: no service account token`);
        assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC, `${where}: no host namespaces`);
      }
    });
  });

  test('listen flags, container ports, probes, Services and scrape annotations agree', () => {
    forEachRender((name, objects) => {
      for (const { workload, container } of containers(objects)) {
        const where = `${name}: ${label(workload)}`;
        const bound = new Set();
        for (const f of flags(container.args).filter((f) => /-listen$/.test(f.name))) {
          const { host, port } = hostPort(f.value);
          assert.equal(host, '0.0.0.0', `${where}: ${f.name} binds all interfaces in a container`);
          assert.ok(resolvePort(container, port), `${where}: ${f.name} port ${port} is a containerPort`);
          bound.add(port);
        }
        for (const p of container.ports ?? []) {
          assert.ok(bound.has(p.containerPort), `${where}: containerPort ${p.name} is bound by a --*listen flag`);
        }
        for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          const spec = container[probe];
          if (!spec) continue;
          const port = spec.httpGet?.port ?? spec.grpc?.port ?? spec.tcpSocket?.port;
          assert.ok(resolvePort(container, port), `${where}: ${probe} port ${port} is a containerPort`);
        }
        const annotations = workload.spec.template.metadata.annotations ?? {};
        assert.equal(annotations['prometheus.io/scrape'], 'true', `${where}: prometheus.io/scrape`);
        assert.equal(annotations['prometheus.io/path'], '/metrics', `${where}: prometheus.io/path`);
        const metricsPort = resolvePort(container, 'admin') ?? resolvePort(container, 'metrics');
        assert.equal(Number(annotations['prometheus.io/port']), metricsPort, `${where}: prometheus.io/port`);
      }
      for (const service of ofKind(objects, 'Service')) {
        const pods = ofKind(objects, 'Deployment')
          .filter((d) => selects(service.spec.selector, d.spec.template.metadata.labels));
        assert.equal(pods.length, 1, `${name}: ${label(service)} selects one Deployment's pods`);
        const container = pods[0].spec.template.spec.containers[0];
        for (const p of service.spec.ports) {
          assert.ok(resolvePort(container, p.targetPort ?? p.port),
                    `${name}: ${label(service)} port ${p.name} targets a container port`);
        }
      }
    });
  });

  test('the control plane: one replica, Recreate, state on the PVC, gRPC health probes', () => {
    forEachRender((name, objects) => {
      const cp = componentOf(objects, 'controlplane');
      const pod = cp.spec.template.spec;
      const container = pod.containers[0];
      assert.equal(cp.spec.replicas, 1, `${name}: one control plane`);
      assert.equal(cp.spec.strategy.type, 'Recreate', `${name}: Recreate (the state volume is ReadWriteOnce)`);
      const grpcPort = hostPort(flagValue(container, '--listen')).port;
      for (const probe of ['readinessProbe', 'livenessProbe']) {
        assert.equal(container[probe].grpc?.port, grpcPort, `${name}: ${probe} is a gRPC health probe on --listen`);
      }
      const stateDir = flagValue(container, '--state-dir');
      const mount = container.volumeMounts.find((m) => m.mountPath === stateDir);
      assert.ok(mount && !mount.readOnly, `${name}: --state-dir ${stateDir} is a writable mount`);
      const volume = pod.volumes.find((v) => v.name === mount.name);
      const claim = named(objects, 'PersistentVolumeClaim', volume.persistentVolumeClaim?.claimName);
      assert.ok(claim, `${name}: --state-dir is on a PersistentVolumeClaim of the kustomization`);
      // --config and the token files are mounted from the ConfigMap and the Secret.
      const mountOf = (file) => container.volumeMounts
        .filter((m) => file === m.mountPath || file.startsWith(m.mountPath + '/'))
        .map((m) => pod.volumes.find((v) => v.name === m.name))[0];
      const configVolume = mountOf(flagValue(container, '--config'));
      const configMap = named(objects, 'ConfigMap', configVolume?.configMap?.name);
      assert.ok(configMap?.data?.['config.yaml'], `${name}: --config comes from the generated ConfigMap`);
      assert.ok(!container.envFrom?.length && !(container.env ?? []).some((e) => e.valueFrom?.secretKeyRef),
                `${name}: no upstream keys in the control plane's environment (it validates without them)`);
      const example = readEnvFile(kSecretsExample);
      for (const [flag, file] of [['--admin-token-file', 'admin-token'], ['--dataplane-token-file', 'dataplane-token']]) {
        const value = flagValue(container, flag);
        assert.equal(path.basename(value), file, `${name}: ${flag}`);
        const secret = mountOf(value)?.secret;
        assert.equal(secret?.secretName, kSecretName, `${name}: ${flag} is mounted from ${kSecretName}`);
        const item = secret.items.find((i) => i.path === file);
        assert.ok(item && Object.hasOwn(example, item.key), `${name}: ${file} is a key of secrets.example.env`);
      }
    });
  });

  test('the data planes: rolling updates without lost capacity, drain before stopping, managed by the control plane', () => {
    const config = parseYaml(fs.readFileSync(kConfigFile, 'utf8'));
    const grace = config.server?.shutdownGraceSeconds ?? kDefaultShutdownGraceSeconds;
    forEachRender((name, objects) => {
      const dp = componentOf(objects, 'dataplane');
      const pod = dp.spec.template.spec;
      const container = pod.containers[0];
      assert.ok(dp.spec.replicas >= 2, `${name}: at least two data planes`);
      assert.equal(dp.spec.strategy.type, 'RollingUpdate', `${name}: RollingUpdate`);
      assert.equal(dp.spec.strategy.rollingUpdate.maxUnavailable, 0, `${name}: maxUnavailable 0`);
      const admin = hostPort(flagValue(container, '--admin-listen')).port;
      assert.equal(container.readinessProbe.httpGet?.path, '/readyz', `${name}: readiness on /readyz`);
      assert.equal(resolvePort(container, container.readinessProbe.httpGet.port), admin, `${name}: /readyz on the admin port`);
      assert.equal(container.livenessProbe.httpGet?.path, '/healthz', `${name}: liveness on /healthz`);
      assert.equal(resolvePort(container, container.livenessProbe.httpGet.port), admin, `${name}: /healthz on the admin port`);
      const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
      assert.match(preStop[0] ?? '', /(^|\/)sleep$/, `${name}: preStop sleeps while endpoints drop the pod`);
      const sleep = Number(preStop[1]);
      assert.ok(sleep > 0, `${name}: preStop sleep seconds`);
      assert.ok(pod.terminationGracePeriodSeconds > sleep + grace,
                `${name}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} > preStop ${sleep} s + ` +
                `server.shutdownGraceSeconds ${grace} s`);
      // --node-id $(POD_NAME), POD_NAME from the downward API.
      assert.equal(flagValue(container, '--node-id'), '$(POD_NAME)', `${name}: --node-id $(POD_NAME)`);
      const podName = container.env.find((e) => e.name === 'POD_NAME');
      assert.equal(podName?.valueFrom?.fieldRef?.fieldPath, 'metadata.name', `${name}: POD_NAME from metadata.name`);
      // --control-plane names the control plane's Service and its gRPC port.
      const target = hostPort(flagValue(container, '--control-plane'));
      const service = named(objects, 'Service', target.host);
      assert.ok(service, `${name}: --control-plane ${target.host} is a Service of the kustomization`);
      const cp = componentOf(objects, 'controlplane');
      assert.ok(selects(service.spec.selector, cp.spec.template.metadata.labels), `${name}: it selects the control plane`);
      const servicePort = service.spec.ports.find((p) => p.port === target.port);
      assert.ok(servicePort, `${name}: the Service has port ${target.port}`);
      const cpContainer = cp.spec.template.spec.containers[0];
      assert.equal(resolvePort(cpContainer, servicePort.targetPort), hostPort(flagValue(cpContainer, '--listen')).port,
                   `${name}: that port reaches the control plane's --listen port`);
      // Keys and the data-plane token from the Secret; not the admin token.
      assert.ok(container.envFrom?.some((e) => e.secretRef?.name === kSecretName), `${name}: envFrom ${kSecretName}`);
      const admin_token = container.env.find((e) => e.name === 'SWITCHBOARD_ADMIN_TOKEN');
      assert.ok(admin_token && admin_token.value === '' && !admin_token.valueFrom,
                `${name}: the data plane's env blanks SWITCHBOARD_ADMIN_TOKEN (envFrom would bring it)`);
    });
    assert.equal(componentOf(renders().base, 'dataplane').spec.replicas, 2, 'base: two data planes');
  });

  test('every flag in the manifests is one the binary accepts (--help)', (t) => {
    const accepted = {};
    for (const [binary, file] of Object.entries(kBinaries)) {
      if (file) accepted[binary] = helpFlags(file);
    }
    const skipped = new Set();
    forEachRender((name, objects) => {
      for (const { workload, container } of containers(objects)) {
        const binary = path.basename(container.command?.[0] ?? '');
        assert.ok(Object.hasOwn(kBinaries, binary), `${name}: ${label(workload)} runs a Switchboard binary by command`);
        if (!accepted[binary]) {
          skipped.add(binary);
          continue;
        }
        for (const f of flags(container.args)) {
          assert.ok(accepted[binary].has(f.name), `${name}: ${label(workload)} uses ${f.name}, which ${binary} --help does not list`);
        }
      }
    });
    if (skipped.size) t.diagnostic(`not built here, flags not checked: ${[...skipped].join(', ')}`);
  });

  test('the control plane is reachable on gRPC only from data planes; metrics only from monitoring', () => {
    forEachRender((name, objects) => {
      const cp = componentOf(objects, 'controlplane');
      const dp = componentOf(objects, 'dataplane');
      const cpContainer = cp.spec.template.spec.containers[0];
      const grpcPort = hostPort(flagValue(cpContainer, '--listen')).port;
      const metricsPort = hostPort(flagValue(cpContainer, '--metrics-listen')).port;
      const policies = ofKind(objects, 'NetworkPolicy')
        .filter((p) => selects(p.spec.podSelector, cp.spec.template.metadata.labels));
      assert.equal(policies.length, 1, `${name}: one NetworkPolicy selects the control plane`);
      const policy = policies[0];
      assert.ok(policy.spec.policyTypes.includes('Ingress'), `${name}: it restricts ingress`);
      const rulesFor = (port) => policy.spec.ingress.filter((r) => !r.ports || r.ports.some((p) => p.port === port));
      for (const rule of policy.spec.ingress) {
        assert.ok(rule.from?.length, `${name}: no ingress rule admits every source`);
      }
      for (const rule of rulesFor(grpcPort)) {
        for (const peer of rule.from) {
          assert.ok(peer.podSelector && !peer.namespaceSelector && !peer.ipBlock,
                    `${name}: gRPC peers are pods of this namespace`);
          assert.ok(selects(peer.podSelector, dp.spec.template.metadata.labels), `${name}: gRPC peer selects the data planes`);
          assert.ok(!selects(peer.podSelector, cp.spec.template.metadata.labels), `${name}: and not everything`);
        }
      }
      assert.ok(rulesFor(grpcPort).length, `${name}: data planes may reach ${grpcPort}`);
      assert.ok(rulesFor(metricsPort).some((r) => r.from.some((p) => p.namespaceSelector)),
                `${name}: the monitoring namespace may scrape ${metricsPort}`);
    });
  });

  test('the PodDisruptionBudget keeps a data plane serving', () => {
    forEachRender((name, objects) => {
      const dp = componentOf(objects, 'dataplane');
      const pdbs = ofKind(objects, 'PodDisruptionBudget')
        .filter((p) => selects(p.spec.selector, dp.spec.template.metadata.labels));
      assert.equal(pdbs.length, 1, `${name}: one PDB selects the data planes`);
      assert.equal(pdbs[0].spec.minAvailable, 1, `${name}: minAvailable 1`);
      assert.ok(dp.spec.replicas > pdbs[0].spec.minAvailable, `${name}: a node can still be drained`);
    });
  });

  test('the homelab overlay: image, replicas, HTTPS Ingress, monitors', () => {
    const objects = renders().homelab;
    const images = new Set(containers(objects).map(({ container }) => container.image));
    assert.equal(images.size, 1, 'one image for both processes');
    const baseImages = new Set(containers(renders().base).map(({ container }) => container.image));
    assert.notDeepEqual([...images], [...baseImages], 'the overlay sets the image');
    assert.equal(componentOf(objects, 'dataplane').spec.replicas, 3, 'the overlay sets the replica count');
    const dpService = named(objects, 'Service', 'switchboard-dataplane');
    for (const ingress of ofKind(objects, 'Ingress')) {
      const tlsHosts = new Set((ingress.spec.tls ?? []).flatMap((t) => t.hosts));
      for (const rule of ingress.spec.rules) {
        assert.ok(tlsHosts.has(rule.host), `${label(ingress)}: ${rule.host} is served with TLS`);
        for (const p of rule.http.paths) {
          const backend = p.backend.service;
          assert.equal(backend.name, dpService.metadata.name, `${label(ingress)}: routes to the data plane Service`);
          assert.ok(dpService.spec.ports.some((sp) => sp.name === backend.port.name || sp.port === backend.port.number),
                    `${label(ingress)}: backend port exists`);
        }
      }
    }
    const sm = ofKind(objects, 'ServiceMonitor');
    assert.ok(sm.length, 'a ServiceMonitor');
    for (const m of sm) {
      const services = ofKind(objects, 'Service').filter((s) => selects(m.spec.selector, s.metadata.labels));
      assert.equal(services.length, 1, `${label(m)} selects one Service`);
      for (const e of m.spec.endpoints) {
        assert.ok(services[0].spec.ports.some((p) => p.name === e.port), `${label(m)}: port ${e.port} on the Service`);
      }
    }
    const pm = ofKind(objects, 'PodMonitor');
    assert.ok(pm.length, 'a PodMonitor');
    for (const m of pm) {
      const pods = ofKind(objects, 'Deployment').filter((d) => selects(m.spec.selector, d.spec.template.metadata.labels));
      assert.equal(pods.length, 1, `${label(m)} selects one Deployment's pods`);
      for (const e of m.spec.podMetricsEndpoints) {
        assert.ok(resolvePort(pods[0].spec.template.spec.containers[0], e.port), `${label(m)}: port ${e.port} on the pods`);
      }
    }
  });
});
