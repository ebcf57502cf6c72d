// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 4: the image is really built from the Dockerfile (on a local base image, no registry) and
// run with host networking inside the router namespace of the test bed, where it blocks the
// FastTrack scenario; `docker stop` leaves iptables as it found them.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Dockerd, dockerAvailable } from '../helpers/dockerd.ts';
import { Emulator, Supernodes } from '../../lab/fasttrack/scenario.ts';
import { POD_FIELDS, kubeletEnv, render, type EnvVar } from '../helpers/helm.ts';
import { Podman, podmanAvailable } from '../helpers/podman.ts';
import { stringify } from 'yaml';
import { JsonLines } from '../../lab/json-lines.ts';
import { PEER_NET, TestBed, WEB_NET, privilegedSkipReason } from '../../lab/netns.ts';
import { AgentServer, httpGet, iptablesSnapshot, runAgent, runAgentAsync } from '../../lab/traffic.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BASE_TAR = `${ROOT}/.tools/base-rootfs.tar`;
const BASE_IMAGE = 'local/node:24-bookworm-slim';
const IMAGE = 'ftwall:test';
const COMPOSE = `${ROOT}/compose.yaml`;
const missing = privilegedSkipReason() || dockerAvailable();
const composeMissing = missing || (spawnSync('docker', ['compose', 'version']).status === 0 ? false : 'the docker compose plugin is missing (scripts/install-compose.sh)');
if (composeMissing && !missing) process.stderr.write(`\n*** COMPOSE TEST SKIPPED: ${composeMissing} ***\n\n`);
const podmanMissing = missing || podmanAvailable();
if (podmanMissing && !missing) process.stderr.write(`\n*** KUBE PLAY TEST SKIPPED: ${podmanMissing} ***\n\n`);
if (missing) process.stderr.write(`\n*** CONTAINER TESTS SKIPPED: ${missing} ***\n\n`);

describe('container image, compose and Helm pod', { skip: missing }, () => {
  let bed: TestBed;
  let builder: Dockerd;
  let runner: Dockerd;
  const cleanups: Array<() => void> = [];

  before(async () => {
    bed = TestBed.create({ hosts: ['client'] });
    execFileSync('bash', [`${ROOT}/test/container/base-image.sh`, BASE_TAR], { stdio: 'inherit' });
    builder = await Dockerd.start(`${bed.prefix}-build`, `${bed.tempDir}/docker-build`);
    builder.must(['import', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change', 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt', BASE_TAR, BASE_IMAGE], { timeoutMs: 300_000 });
    builder.must(['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '-t', IMAGE, ROOT], { timeoutMs: 900_000 });
    builder.must(['save', '-o', `${bed.tempDir}/image.tar`, IMAGE], { timeoutMs: 300_000 });
    // A second daemon inside the router namespace: --network host there means the router.
    runner = await Dockerd.start(`${bed.prefix}-run`, `${bed.tempDir}/docker-run`, bed.router);
    runner.must(['load', '-i', `${bed.tempDir}/image.tar`], { timeoutMs: 300_000 });
  });
  after(async () => {
    for (const cleanup of cleanups) cleanup();
    await runner?.stop();
    await builder?.stop();
    bed?.destroy();
  });

  test('the runtime image holds node, both iptables backends and libnetfilter-queue, and no compiler', () => {
    const out = runner.must(['run', '--rm', '--entrypoint', 'sh', IMAGE, '-c',
      'node --version; iptables-nft --version; iptables-legacy --version; ls /usr/lib/x86_64-linux-gnu/libnetfilter_queue.so.1; command -v gcc cc g++ make || echo no-compiler']);
    assert.match(out, /^v24\./m);
    assert.match(out, /iptables v1\.8\.\d+ \(nf_tables\)/);
    assert.match(out, /iptables v1\.8\.\d+ \(legacy\)/);
    assert.match(out, /no-compiler/);
    const inspect = JSON.parse(runner.must(['image', 'inspect', IMAGE]))[0];
    assert.deepEqual(inspect.Config.Entrypoint, ['node', '/opt/ftwall/dist/cli.js']);
    assert.match(inspect.Config.Healthcheck.Test.join(' '), /healthz/);
    assert.equal(inspect.Config.StopSignal, 'SIGTERM');
    assert.equal(inspect.Config.Labels['org.opencontainers.image.licenses'], 'GPL-2.0-or-later');
    assert.match(inspect.Config.Labels['org.opencontainers.image.version'], /^\d+\.\d+\.\d+/);
  });

  test('with NET_ADMIN and NET_RAW only, read-only, in the router namespace: FastTrack blocked; docker stop restores iptables', async () => {
    const supernodes = await Supernodes.start(bed, 60);
    await AgentServer.start(bed, bed.internet, 'tcp-server', `${WEB_NET}.80:80`);
    const baseline = iptablesSnapshot(bed, bed.router);
    runner.must(['run', '-d', '--name', 'ftwall', '--network', 'host', '--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN', '--cap-add', 'NET_RAW',
      '--read-only', '--tmpfs', '/run', '-v', 'ftwall-state:/var/lib/ftwall',
      '-e', 'FTWALL_LAN_INTERFACE=lan0', '-e', 'FTWALL_LOCK_SECONDS=4', '-e', 'OTEL_SDK_DISABLED=true', IMAGE]);
    const logs = new JsonLines(runner.spawn(['logs', '-f', 'ftwall']).stdout!);
    try {
      await logs.waitFor((line) => line.event === 'ready', 30_000, 'ftwall ready in the container');
      const report = await Emulator.start(bed, bed.host('client').ns, { modes: '1,2', count: 60 }).finished();
      assert.equal(report.modes['1']!.handshakes + report.modes['2']!.handshakes, 0);
      assert.equal((await supernodes.report()).handshakes, 0);
      assert.equal(runAgent(bed, bed.host('client').ns, 'tcp-send', { to: `${WEB_NET}.80:80`, bytes: 10, timeout: 1500 }).connected, false, 'locked');
      assert.ok(logs.lines.some((line) => line.event === 'client_identified'));
      const health = runner.must(['inspect', '--format', '{{json .State.Health}}', 'ftwall']);
      assert.match(health, /"Status":"(healthy|starting)"/);
    } finally {
      runner.must(['stop', '-t', '30', 'ftwall'], { timeoutMs: 60_000 });
    }
    assert.equal(runner.must(['inspect', '--format', '{{.State.ExitCode}}', 'ftwall']).trim(), '0');
    await logs.waitFor((line) => line.event === 'rules_removed', 10_000, 'rules_removed in the container log');
    assert.equal(iptablesSnapshot(bed, bed.router), baseline, 'docker stop left iptables as it found them');
  });

  test('the image cuts a bypassed UDP flow to a newly learned peer (conntrack over netlink: nothing beyond what the Dockerfile installs)', async () => {
    const server = await AgentServer.start(bed, bed.internet, 'udp-server', `${PEER_NET}.7:5000`);
    runner.must(['run', '-d', '--name', 'ftwall-cut', '--network', 'host', '--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN', '--cap-add', 'NET_RAW',
      '--read-only', '--tmpfs', '/run', '-e', 'FTWALL_LAN_INTERFACE=lan0', '-e', 'FTWALL_STATE_DIR=', '-e', 'FTWALL_WORKERS=1', '-e', 'OTEL_SDK_DISABLED=true', IMAGE]);
    const logs = new JsonLines(runner.spawn(['logs', '-f', 'ftwall-cut']).stdout!);
    try {
      await logs.waitFor((line) => line.event === 'ready', 30_000, 'ftwall ready in the container');
      assert.ok(!logs.lines.some((line) => line.event === 'feature_off'), 'flow bypass is on in the image');
      const client = bed.host('client').ns;
      await server.report();
      // A clean flow, bypassed after its first datagram: one every 10 ms for 3 s...
      const flow = runAgentAsync(bed, client, 'udp-send', { to: `${PEER_NET}.7:5000`, count: 300, size: 100, interval: 10, from: 40600 });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // ...until its destination is pinged and becomes a FastTrack peer.
      runAgent(bed, client, 'udp-once', { to: `${PEER_NET}.7:5000`, hex: '2700000029804b615a614100', from: 3531 });
      await logs.waitFor((line) => line.event === 'peer_learned', 10_000, 'peer_learned');
      await flow;
      const delivered = (await server.report()).unique as number;
      assert.ok(delivered > 20 && delivered < 250, `${delivered} of 300 delivered: the flow was cut in the container once its peer was known`);
      const metrics = httpGet(bed, bed.router, 'http://127.0.0.1:9490/metrics').body;
      assert.match(metrics, /^ftwall_flows_cut_total\{outcome="cut"[^}]*\} [1-9]/m);
    } finally {
      runner.must(['stop', '-t', '30', 'ftwall-cut'], { timeoutMs: 60_000 });
      runner.must(['rm', 'ftwall-cut']);
    }
  });

  test('compose.yaml validates, and its ftwall service starts for real and stops cleanly', { skip: composeMissing }, async () => {
    const env = { FTWALL_LAN_INTERFACE: 'lan0', FTWALL_IMAGE: IMAGE, FTWALL_LOCK_SECONDS: '4' };
    runner.must(['compose', '-f', COMPOSE, 'config', '-q'], { env });
    const invalid = runner.docker(['compose', '-f', COMPOSE, 'config', '-q'], { env: { FTWALL_LAN_INTERFACE: '' } });
    assert.notEqual(invalid.status, 0);
    assert.match(invalid.stderr, /set FTWALL_LAN_INTERFACE/);
    const baseline = iptablesSnapshot(bed, bed.router);
    const project = ['compose', '-f', COMPOSE, '-p', 'ftwalltest'];
    runner.must([...project, 'up', '-d', '--no-build', '--pull', 'never', '--no-deps', 'ftwall'], { env, timeoutMs: 120_000 });
    const logs = new JsonLines(runner.spawn(['logs', '-f', 'ftwalltest-ftwall-1']).stdout!);
    try {
      await logs.waitFor((line) => line.event === 'ready', 30_000, 'the compose service ready');
      assert.equal(httpGet(bed, bed.router, 'http://127.0.0.1:9490/readyz').status, 200);
      const caps = runner.must(['inspect', '--format', '{{json .HostConfig.CapAdd}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.NetworkMode}}', 'ftwalltest-ftwall-1']);
      assert.match(caps, /\["NET_ADMIN","NET_RAW"\] true host/);
    } finally {
      runner.must([...project, 'down', '--volumes'], { env, timeoutMs: 120_000 });
    }
    await logs.waitFor((line) => line.event === 'rules_removed', 10_000, 'rules_removed');
    assert.equal(iptablesSnapshot(bed, bed.router), baseline);
  });
  test('the Helm chart\'s DaemonSet pod runs under podman kube play: ready, rules installed, removed when it stops', { skip: podmanMissing }, async () => {
    const podman = new Podman(`${bed.tempDir}/podman-root`, `/run/${bed.prefix}-podman`, bed.router);
    cleanups.push(() => podman.destroy());
    podman.must(['load', '-i', `${bed.tempDir}/image.tar`], 300_000);
    const manifests = render([
      '-f', `${ROOT}/helm/ftwall/ci/default-values.yaml`, '--set', 'config.FTWALL_LAN_INTERFACE=lan0',
      '--set', 'image.repository=localhost/ftwall', '--set', 'image.tag=test', '--set', 'image.pullPolicy=Never',
      '--set', `state.hostPath=${bed.tempDir}/state`, '--set', `xtablesLockPath=${bed.tempDir}/xtables.lock`,
      '--set', 'otel.OTEL_SDK_DISABLED=true', '--set', 'http.host=127.0.0.1',
    ]);
    const template = manifests.find((m) => m.kind === 'DaemonSet')!.spec.template;
    // podman kube play resolves only some downward-API fields (not spec.nodeName, metadata.namespace
    // or status.hostIP): hand it the values a kubelet would have set on this node.
    const container = template.spec.containers[0];
    const env = kubeletEnv(container.env as EnvVar[], { ...POD_FIELDS, 'spec.nodeName': 'router', 'metadata.name': 'ftwall', 'status.hostIP': '127.0.0.1' });
    container.env = Object.entries(env).map(([name, value]) => ({ name, value }));
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ftwall', labels: template.metadata.labels }, spec: template.spec };
    const file = `${bed.tempDir}/pod.yaml`;
    writeFileSync(file, stringify(pod));
    const baseline = iptablesSnapshot(bed, bed.router);
    podman.must(['kube', 'play', file], 180_000);
    const logs = new JsonLines(podman.spawn(['logs', '-f', 'ftwall-ftwall']).stdout!);
    try {
      await logs.waitFor((line) => line.event === 'ready', 60_000, 'ftwall ready in the pod');
      assert.equal(httpGet(bed, bed.router, 'http://127.0.0.1:9490/readyz').status, 200, 'the readiness probe target answers');
      assert.match(bed.run(bed.router, ['iptables-save']), /-j FTWALL-FORWARD/);
    } finally {
      // As kubelet does: SIGTERM, then the pod's grace period before SIGKILL.
      podman.must(['pod', 'stop', '-t', String(template.spec.terminationGracePeriodSeconds), 'ftwall'], 120_000);
    }
    await logs.waitFor((line) => line.event === 'rules_removed', 30_000, 'rules removed when the pod stops');
    assert.equal(podman.must(['inspect', '--format', '{{.State.ExitCode}}', 'ftwall-ftwall']).trim(), '0');
    assert.equal(iptablesSnapshot(bed, bed.router), baseline);
    podman.must(['kube', 'down', file], 120_000);
  });
});
