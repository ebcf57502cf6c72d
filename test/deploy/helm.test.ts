// SPDX-License-Identifier: GPL-2.0-or-later
// The Helm chart: lint, render with default and non-default values, validate against Kubernetes
// schemas, check the DaemonSet's policy, and prove the rendered environment is one ftwall accepts.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import * as apps from 'kubernetes-models/apps/v1';
import * as core from 'kubernetes-models/v1';
import { loadConfig } from '../../src/config/load.ts';
import { SETTINGS } from '../../src/config/schema.ts';
import { CHART, helm, render, valuesFile, type Manifest } from '../helpers/helm.ts';

const CI_VALUES = readdirSync(`${CHART}/ci`).map((file) => `${CHART}/ci/${file}`);
const daemonSet = (manifests: Manifest[]) => manifests.find((m) => m.kind === 'DaemonSet')!;
const envOf = (manifests: Manifest[]) => Object.fromEntries(
  (daemonSet(manifests).spec.template.spec.containers[0].env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]),
);

test('helm lint passes with every ci values file', () => {
  for (const values of CI_VALUES) {
    const result = helm(['lint', CHART, '--strict', '-f', values]);
    assert.equal(result.status, 0, `${values}: ${result.stdout}${result.stderr}`);
  }
});

test('rendered manifests are valid Kubernetes objects (default and non-default values)', () => {
  for (const values of CI_VALUES) {
    for (const manifest of render(['-f', values])) {
      const model = manifest.kind === 'DaemonSet' ? new apps.DaemonSet(manifest as never)
        : manifest.kind === 'ServiceAccount' ? new core.ServiceAccount(manifest as never)
          : manifest.kind === 'Service' ? new core.Service(manifest as never) : undefined;
      if (manifest.kind === 'ServiceMonitor') {
        assert.equal(manifest.apiVersion, 'monitoring.coreos.com/v1');
        assert.equal(manifest.spec.endpoints[0].path, '/metrics');
        continue;
      }
      assert.ok(model, `unexpected kind ${manifest.kind}`);
      model.validate();
    }
  }
});

test('the DaemonSet: host network, NET_ADMIN and NET_RAW only, seccomp RuntimeDefault, selected nodes with every taint tolerated, xtables lock, probes, grace period', () => {
  const spec = daemonSet(render(['-f', `${CHART}/ci/default-values.yaml`])).spec.template.spec;
  const container = spec.containers[0];
  assert.equal(spec.hostNetwork, true);
  assert.equal(spec.dnsPolicy, 'ClusterFirstWithHostNet');
  assert.equal(spec.priorityClassName, 'system-node-critical');
  assert.deepEqual(spec.tolerations, [{ operator: 'Exists' }]);
  assert.deepEqual(spec.nodeSelector, { 'ftwall-lan': 'true' });
  assert.deepEqual(spec.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  assert.ok(spec.terminationGracePeriodSeconds >= 30);
  assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] });
  assert.equal(container.securityContext.privileged, false);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.ok(container.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/run/xtables.lock'));
  assert.equal(spec.volumes.find((v: { name: string }) => v.name === 'xtables-lock').hostPath.path, '/run/xtables.lock');
  assert.deepEqual(container.readinessProbe.httpGet, { host: '127.0.0.1', port: 9490, path: '/readyz' });
  assert.deepEqual(container.livenessProbe.httpGet, { host: '127.0.0.1', port: 9490, path: '/healthz' });

  const full = daemonSet(render(['-f', `${CHART}/ci/full-values.yaml`])).spec.template.spec;
  assert.equal(full.containers[0].securityContext.privileged, true, 'privileged by value');
  assert.equal(full.containers[0].readinessProbe.httpGet.port, 9500, 'probes follow the configured port');
  assert.deepEqual(full.nodeSelector, { 'node-role.kubernetes.io/edge': '' });
});

test('node selection is required: an empty nodeSelector refuses to render and says why; a required node affinity also does', () => {
  const lan = ['--set', 'config.FTWALL_LAN_INTERFACE=eth1'];
  assert.throws(() => render(lan), /nodeSelector is required: ftwall must run only on the nodes that route the LAN.*crash-loops/);
  const spec = daemonSet(render([...lan, '--set-string', 'nodeSelector.ftwall-lan=true'])).spec.template.spec;
  assert.deepEqual(spec.nodeSelector, { 'ftwall-lan': 'true' });
  const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'ftwall-lan', operator: 'Exists' }] }] } } };
  const byAffinity = daemonSet(render([...lan, '-f', valuesFile({ affinity })])).spec.template.spec;
  assert.deepEqual(byAffinity.affinity, affinity);
  assert.equal(byAffinity.nodeSelector, undefined);
  const preferredOnly = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0] }] } };
  assert.throws(() => render([...lan, '-f', valuesFile({ affinity: preferredOnly })]), /nodeSelector is required/, 'a preference does not keep it off other nodes');
});

test('every FTWALL_* setting is a chart value, and the rendered environment is one ftwall accepts', () => {
  const values = parse(readFileSync(`${CHART}/values.yaml`, 'utf8')) as { config: Record<string, unknown> };
  const schema = JSON.parse(readFileSync(`${CHART}/values.schema.json`, 'utf8'));
  for (const setting of Object.values(SETTINGS)) {
    if (setting.env === 'FTWALL_HTTP_ADDRESS') continue; // built from http.host and http.port
    assert.ok(setting.env in values.config, `values.yaml config.${setting.env}`);
    assert.ok(setting.env in schema.properties.config.properties, `values.schema.json config.${setting.env}`);
  }
  for (const file of CI_VALUES) {
    const env = envOf(render(['-f', file]));
    const config = loadConfig(env);
    assert.ok(config.lanInterfaces.length > 0);
    if (file.endsWith('full-values.yaml')) {
      assert.equal(config.mode, 'monitor');
      assert.equal(config.lockSeconds, 300);
      assert.deepEqual(config.httpAddress, { host: '0.0.0.0', port: 9500 });
      assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://otel-collector.observability:4318');
      assert.equal(env.NODE_OPTIONS, '--max-old-space-size=256');
    } else {
      assert.equal(config.socketBufferBytes, 8388608, 'large numbers are not rendered as floats');
      assert.equal(config.mark, 0x100000);
    }
  }
});

test('values.schema.json rejects bad values; a missing LAN interface fails with a clear message', () => {
  const lan = ['--set', 'config.FTWALL_LAN_INTERFACE=eth1'];
  assert.throws(() => render([...lan, '--set', 'config.FTWALL_MODE=block']), /FTWALL_MODE must be one of the following: "enforce", "monitor"/);
  assert.throws(() => render([...lan, '--set', 'config.FTWALL_LOCK_SECONDS=-5']), /FTWALL_LOCK_SECONDS/);
  assert.throws(() => render([...lan, '--set', 'config.FTWALL_LOCK_SECOND=5']), /Additional property FTWALL_LOCK_SECOND is not allowed/);
  assert.throws(() => render([...lan, '--set', 'http.port=70000']), /http.port/);
  assert.throws(() => render([]), /config.FTWALL_LAN_INTERFACE is required/);
});
