// SPDX-License-Identifier: GPL-2.0-or-later
// compose.yaml is safe on a router: ftwall alone by default, the observability stack behind a
// profile, Grafana on loopback with no admin password that works unless one is given, bounded logs
// and enforced retention; the README lists every variable with its default. The file is read with
// a YAML parser and compose's own interpolation rules (no plugin needed); where the compose plugin
// is installed (scripts/install-compose.sh), `docker compose config` is asked the same questions.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPOSE = join(ROOT, 'compose.yaml');
const RAW = readFileSync(COMPOSE, 'utf8');
const PROFILE = 'observability';
const LAN = { FTWALL_LAN_INTERFACE: 'eth1' };

type Env = Record<string, string | undefined>;
type Service = {
  profiles?: string[]; ports?: string[]; environment?: Record<string, string>; command?: string[] | string;
  entrypoint?: string[]; logging?: { driver?: string; options?: Record<string, string> }; depends_on?: string[];
  volumes?: string[];
};
type Compose = { services: Record<string, Service> };

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** compose's interpolation of one string: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, ${VAR:+a}, ${VAR+a}. */
function interpolate(text: string, env: Env, where: string): string {
  return text.replace(REFERENCE, (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = env[name];
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    switch (op) {
      case ':-': return nonEmpty ? value! : arg!;
      case '-': return set ? value! : arg!;
      case ':?': if (!nonEmpty) throw new Error(`${where}: required variable ${name} is missing a value: ${arg}`); return value!;
      case '?': if (!set) throw new Error(`${where}: required variable ${name} is missing a value: ${arg}`); return value!;
      case ':+': return nonEmpty ? arg! : '';
      case '+': return set ? arg! : '';
      default: return value ?? '';
    }
  });
}

function interpolateAll(node: unknown, env: Env, where: string): unknown {
  if (typeof node === 'string') return interpolate(node, env, where);
  if (Array.isArray(node)) return node.map((item, i) => interpolateAll(item, env, `${where}[${i}]`));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateAll(value, env, `${where}.${key}`)]));
  }
  return node;
}

/** Like compose: the whole file is interpolated, whatever the profiles; then the profiles pick services. */
function load(env: Env, profiles: string[] = []): Compose {
  const project = interpolateAll(parse(RAW), env, 'compose.yaml') as Compose;
  const services = Object.entries(project.services).filter(([, service]) => !service.profiles || service.profiles.some((p) => profiles.includes(p)));
  return { services: Object.fromEntries(services) };
}

const all = load(LAN, [PROFILE]).services;
/** Every variable reference in the file's values (comments are not interpolated). */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (node && typeof node === 'object') return Object.values(node).flatMap(strings);
  return [];
}
const references = strings(parse(RAW)).flatMap((text) => [...text.matchAll(REFERENCE)]);
const variables = [...new Set(references.map((m) => m[1] ?? m[4]).filter((name): name is string => !!name))];

test('ftwall alone by default; every other service only in the observability profile', () => {
  assert.deepEqual(Object.keys(load(LAN).services), ['ftwall']);
  assert.equal(all.ftwall!.profiles, undefined, 'ftwall runs without a profile');
  const others = Object.keys(all).filter((name) => name !== 'ftwall');
  assert.deepEqual(others.sort(), ['grafana', 'loki', 'otel-collector', 'prometheus', 'tempo']);
  for (const name of others) assert.deepEqual(all[name]!.profiles, [PROFILE], name);
  assert.equal(all.ftwall!.depends_on, undefined, 'ftwall depends on nothing that a profile may leave out');
});

test('no variable is required but the LAN interface: compose interpolates every service, profile or not', () => {
  const required = references.filter((m) => m[2] === ':?' || m[2] === '?').map((m) => m[1]);
  assert.deepEqual(required, ['FTWALL_LAN_INTERFACE']);
  assert.doesNotThrow(() => load(LAN));
  assert.throws(() => load({}), /set FTWALL_LAN_INTERFACE/);
});

test('ftwall exports to a collector on loopback that may be absent, and can be told not to', () => {
  const env = all.ftwall!.environment!;
  assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:4318');
  assert.equal(env.OTEL_SDK_DISABLED, 'false');
  assert.equal(load({ ...LAN, OTEL_SDK_DISABLED: 'true' }).services.ftwall!.environment!.OTEL_SDK_DISABLED, 'true');
});

test('Grafana is published on loopback by default, on FTWALL_GRAFANA_ADDRESS when set; nothing is published on every interface', () => {
  assert.deepEqual(all.grafana!.ports, ['127.0.0.1:3000:3000']);
  assert.deepEqual(load({ ...LAN, FTWALL_GRAFANA_ADDRESS: '192.168.1.1' }, [PROFILE]).services.grafana!.ports, ['192.168.1.1:3000:3000']);
  for (const [name, service] of Object.entries(all)) {
    for (const port of service.ports ?? []) {
      // host_ip:published:target; "published:target" or "target" alone would mean 0.0.0.0.
      assert.equal(port.split(':').length, 3, `${name} publishes ${port} with a host address`);
      assert.match(port, /^127\.0\.0\.1:/, `${name} publishes ${port} on loopback by default`);
    }
  }
});

describe('Grafana\'s admin password: from GRAFANA_ADMIN_PASSWORD, none that works without it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftwall-grafana-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const stub = join(dir, 'run.sh');
  writeFileSync(stub, '#!/bin/sh\necho "grafana started $*"\n');
  chmodSync(stub, 0o755);
  /** The service's entrypoint as the container runs it, with Grafana's /run.sh replaced by a stub. */
  function start(password: string | undefined) {
    const service = load({ ...LAN, GRAFANA_ADMIN_PASSWORD: password }, [PROFILE]).services.grafana!;
    const [shell, flag, script, ...args] = service.entrypoint!;
    assert.deepEqual([shell, flag], ['/bin/sh', '-c']);
    assert.match(script!, /exec \/run\.sh "\$@"/, 'hands over to Grafana\'s own entrypoint');
    const result = spawnSync('/bin/sh', [flag!, script!.replace('/run.sh', stub), ...args, 'extra-arg'], {
      encoding: 'utf8', env: { PATH: process.env.PATH, ...service.environment },
    });
    return { password: service.environment!.GF_SECURITY_ADMIN_PASSWORD, ...result };
  }

  test('unset, empty or "admin": the container refuses to start and says why', () => {
    for (const password of [undefined, '', 'admin']) {
      const result = start(password);
      assert.equal(result.password, password ?? '', 'no default password in compose.yaml');
      assert.notEqual(result.status, 0, `refused with ${JSON.stringify(password)}`);
      assert.match(result.stderr, /set GRAFANA_ADMIN_PASSWORD/);
      assert.doesNotMatch(result.stdout, /grafana started/);
    }
  });

  test('set: Grafana starts with it, its arguments passed on', () => {
    const result = start('s3cret pass');
    assert.equal(result.password, 's3cret pass');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'grafana started extra-arg');
  });

  test('anonymous access and sign-up stay off', () => {
    assert.equal(all.grafana!.environment!.GF_AUTH_ANONYMOUS_ENABLED, 'false');
    assert.equal(all.grafana!.environment!.GF_USERS_ALLOW_SIGN_UP, 'false');
  });
});

const BYTES: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9 };
test('every service\'s log is bounded: json-file, a size per file and a number of files', () => {
  for (const [name, service] of Object.entries(all)) {
    assert.equal(service.logging?.driver, 'json-file', name);
    const size = /^(\d+)([kmg])$/.exec(service.logging!.options?.['max-size'] ?? '');
    const files = Number(service.logging!.options?.['max-file']);
    assert.ok(size, `${name}: max-size`);
    assert.ok(Number.isInteger(files) && files >= 1, `${name}: max-file`);
    const total = Number(size[1]) * BYTES[size[2]!]! * files;
    assert.ok(total <= 100e6, `${name}: at most 100 MB of logs (${total})`);
  }
});

test('Prometheus: retention by time and by size, both overridable', () => {
  const flags = (services: Record<string, Service>) => Object.fromEntries((services.prometheus!.command as string[])
    .filter((arg) => arg.startsWith('--storage.tsdb.retention.')).map((arg) => arg.split('=') as [string, string]));
  assert.deepEqual(flags(all), { '--storage.tsdb.retention.time': '15d', '--storage.tsdb.retention.size': '1GB' });
  const set = load({ ...LAN, PROMETHEUS_RETENTION_TIME: '30d', PROMETHEUS_RETENTION_SIZE: '256MB' }, [PROFILE]).services;
  assert.deepEqual(flags(set), { '--storage.tsdb.retention.time': '30d', '--storage.tsdb.retention.size': '256MB' });
});

/** The host file a service mounts at a container path. */
function mounted(service: Service, target: string): string {
  const volume = service.volumes!.find((v) => v.split(':')[1] === target);
  assert.ok(volume, `a mount at ${target}`);
  return join(ROOT, volume.split(':')[0]!);
}
const HOURS = (text: string) => { const m = /^(\d+)h$/.exec(text); assert.ok(m, `${text} in hours`); return Number(m[1]); };

test('Loki: retention enforced by the compactor, 7 days, on its index period', () => {
  const args = all.loki!.command as string[];
  const file = mounted(all.loki!, args.find((a) => a.startsWith('-config.file='))!.split('=')[1]!);
  const config = parse(readFileSync(file, 'utf8'));
  assert.equal(config.compactor?.retention_enabled, true, 'without it retention_period deletes nothing');
  assert.equal(config.compactor?.delete_request_store, 'filesystem', 'Loki 3 refuses retention without it');
  assert.ok(config.compactor?.working_directory?.startsWith('/loki/'), 'on the loki-data volume');
  const retention = HOURS(config.limits_config?.retention_period);
  const period = HOURS(config.schema_config.configs.at(-1).index.period);
  assert.equal(retention, 168);
  assert.equal(retention % period, 0, 'a multiple of the index period');
});

test('Tempo: blocks deleted after 7 days', () => {
  const args = all.tempo!.command as string[];
  const file = mounted(all.tempo!, args.find((a) => a.startsWith('-config.file='))!.split('=')[1]!);
  assert.equal(HOURS(parse(readFileSync(file, 'utf8')).compactor?.compaction?.block_retention), 168);
});

test('the README\'s Deploying section names every compose variable with its default, and the retention', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Deploying'), readme.indexOf('\n## ', readme.indexOf('## Deploying') + 1));
  assert.ok(variables.length >= 8, variables.join());
  for (const name of variables) {
    assert.ok(section.includes(`\`${name}\``), `README Deploying names ${name}`);
    const defaults = references.filter((m) => m[1] === name && m[2] === ':-' && m[3]).map((m) => m[3]);
    for (const value of defaults) assert.match(section, new RegExp(`\`${name}\`[^|\\n]*\\|\\s*\`${value!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\``), `${name} default ${value}`);
  }
  assert.match(section, /docker compose --profile observability up -d/);
  for (const figure of ['15d', '1GB', '168h', '10m', '3 files']) assert.ok(section.includes(figure), figure);
});

test('the Dockerfile\'s OCI labels: title, description, licence, version (package.json\'s), source', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const labels = Object.fromEntries([...runtime.matchAll(/(org\.opencontainers\.image\.[a-z]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  assert.deepEqual(Object.keys(labels).sort(), ['description', 'licenses', 'source', 'title', 'version'].map((k) => `org.opencontainers.image.${k}`));
  assert.equal(labels['org.opencontainers.image.title'], pkg.name);
  assert.equal(labels['org.opencontainers.image.description'], pkg.description);
  assert.equal(labels['org.opencontainers.image.licenses'], pkg.license);
  assert.equal(labels['org.opencontainers.image.version'], '${VERSION}');
  assert.match(runtime, new RegExp(`^ARG VERSION=${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
});

const composeMissing = spawnSync('docker', ['compose', 'version']).status === 0 ? false : 'the docker compose plugin is missing (scripts/install-compose.sh)';
if (composeMissing) process.stderr.write(`\n*** DOCKER COMPOSE CONFIG TESTS SKIPPED: ${composeMissing} ***\n\n`);

describe('docker compose config agrees', { skip: composeMissing }, () => {
  /** `docker compose config` in a clean environment (no COMPOSE_PROFILES or variables from the caller). */
  function config(env: Env, profiles: string[] = []) {
    const args = ['compose', '-f', COMPOSE, ...profiles.flatMap((p) => ['--profile', p]), 'config', '--format', 'json'];
    const result = spawnSync('docker', args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    return { status: result.status, stderr: result.stderr, project: result.status === 0 ? JSON.parse(result.stdout) : undefined };
  }

  test('without the profile: valid with no Grafana password, ftwall alone', () => {
    const { status, stderr, project } = config(LAN);
    assert.equal(status, 0, stderr);
    assert.deepEqual(Object.keys(project.services), ['ftwall']);
    assert.deepEqual(project.services.ftwall.logging, { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } });
    assert.match(config({}).stderr, /set FTWALL_LAN_INTERFACE/);
  });

  test('with the profile: six services, Grafana on loopback or the given address, the password passed through', () => {
    const { status, stderr, project } = config(LAN, [PROFILE]);
    assert.equal(status, 0, stderr);
    assert.deepEqual(Object.keys(project.services).sort(), ['ftwall', 'grafana', 'loki', 'otel-collector', 'prometheus', 'tempo']);
    const grafana = project.services.grafana;
    assert.deepEqual(grafana.ports.map((p: { host_ip: string; published: string; target: number }) => [p.host_ip, p.published, p.target]), [['127.0.0.1', '3000', 3000]]);
    assert.equal(grafana.environment.GF_SECURITY_ADMIN_PASSWORD, '');
    for (const [name, service] of Object.entries<Service>(project.services)) assert.equal(service.logging?.options?.['max-file'], '3', name);
    assert.ok(project.services.prometheus.command.includes('--storage.tsdb.retention.size=1GB'));
    const open = config({ ...LAN, FTWALL_GRAFANA_ADDRESS: '192.168.1.1', GRAFANA_ADMIN_PASSWORD: 'pw' }, [PROFILE]).project;
    assert.equal(open.services.grafana.ports[0].host_ip, '192.168.1.1');
    assert.equal(open.services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD, 'pw');
  });
});
