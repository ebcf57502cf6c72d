// SPDX-License-Identifier: GPL-2.0-or-later
// Keeps the lockfile to one copy of each OpenTelemetry package (two copies cost ~50 MB of the image)
// and every install script reviewed in package.json's allowScripts (npm's install-script approval).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

interface LockEntry { version?: string; link?: boolean; hasInstallScript?: boolean; dev?: boolean }
const read = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));
const manifest = read('package.json') as { dependencies: Record<string, string>; devDependencies: Record<string, string>; allowScripts: Record<string, boolean> };
const lock = read('package-lock.json') as { packages: Record<string, LockEntry> };
const nameOf = (key: string) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

test('each OpenTelemetry package is installed once, in one version of the stable and one of the experimental line', () => {
  const copies = new Map<string, string[]>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.includes('node_modules/@opentelemetry/')) continue;
    copies.set(nameOf(key), [...(copies.get(nameOf(key)) ?? []), `${key}@${entry.version}`]);
  }
  assert.ok(copies.size > 10);
  for (const [name, where] of copies) assert.equal(where.length, 1, `${name}: ${where.join(', ')}`);
  const versions = new Set([...copies].filter(([name]) => name !== '@opentelemetry/api' && name !== '@opentelemetry/semantic-conventions')
    .map(([, [where]]) => where!.slice(where!.lastIndexOf('@') + 1)));
  assert.equal(versions.size, 2, [...versions].join(', '));
});

test('OpenTelemetry SDK packages are pinned exactly, as they pin each other', () => {
  for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
    if (name.startsWith('@opentelemetry/') && name !== '@opentelemetry/api') assert.match(range, /^\d+\.\d+\.\d+$/, name);
  }
});

test('every dependency with an install script is approved or denied in allowScripts', () => {
  const withScripts = Object.entries(lock.packages).filter(([key, entry]) => key.startsWith('node_modules/') && entry.hasInstallScript && !entry.link).map(([key]) => nameOf(key));
  assert.ok(withScripts.includes('raw-socket'));
  for (const name of withScripts) assert.equal(typeof manifest.allowScripts[name], 'boolean', `${name} is not in allowScripts`);
  assert.equal(manifest.allowScripts['raw-socket'], true, 'raw-socket is built from source');
  // The workspace addon's own scripts run as the project's; npm would prune an entry for it.
  assert.equal(manifest.allowScripts['nfqueue-bindings'], undefined);
});
