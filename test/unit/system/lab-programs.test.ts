// SPDX-License-Identifier: GPL-2.0-or-later
// The BitTorrent lab runs real programs (clients, a tracker, mktorrent, tcpdump): each is listed in
// lab/bittorrent/programs.ts with its Debian package, and scripts/dev.sh installs that package for
// the test job, so a fresh machine runs the same lab as this one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { BITTORRENT_PROGRAMS } from '../../../lab/bittorrent/programs.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const LAB = join(ROOT, 'lab/bittorrent');
/** Programs every Debian machine has (coreutils, iproute2 via APT_PACKAGES): not the lab's to list. */
const BASE_PROGRAMS = new Set(['cat', 'ip']);

/** Packages scripts/dev.sh installs for the test job (TEST_PACKAGES, which may span lines). */
function testPackages(): Set<string> {
  const text = readFileSync(join(ROOT, 'scripts/dev.sh'), 'utf8');
  const list = /^TEST_PACKAGES=\(([^)]*)\)/m.exec(text);
  assert.ok(list, 'scripts/dev.sh declares TEST_PACKAGES=(...)');
  return new Set(list[1]!.trim().split(/\s+/));
}

/** Program names the lab's sources start: execFileSync/spawnSync('x', ...) and argv arrays ['x', '-flag' or '/path', ...]. */
function programsStarted(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(LAB).filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(join(LAB, file), 'utf8');
    for (const match of text.matchAll(/(?:execFileSync|spawnSync)\(\s*'([^']+)'/g)) names.add(match[1]!);
    for (const match of text.matchAll(/\[\s*'([a-z0-9][\w.-]*)',\s*'[-/]/g)) names.add(match[1]!);
  }
  return names;
}

test('every program the BitTorrent lab starts is listed in lab/bittorrent/programs.ts', () => {
  const started = programsStarted();
  assert.ok(started.has('transmission-daemon') && started.has('aria2c'), `the scan finds the clients (${[...started].join(', ')})`);
  for (const program of started) {
    if (BASE_PROGRAMS.has(program)) continue;
    assert.ok(program in BITTORRENT_PROGRAMS, `lab/bittorrent starts ${program}, which programs.ts does not list`);
  }
});

test('scripts/dev.sh test installs the package of every BitTorrent lab program', () => {
  const packages = testPackages();
  for (const [program, debianPackage] of Object.entries(BITTORRENT_PROGRAMS)) {
    assert.ok(packages.has(debianPackage), `${program}: scripts/dev.sh's TEST_PACKAGES lacks ${debianPackage}`);
  }
});

test('each BitTorrent lab program comes from the package it is listed with (where this machine has it)', (t) => {
  if (spawnSync('dpkg', ['--version']).status !== 0) return t.skip('no dpkg on this machine');
  for (const [program, debianPackage] of Object.entries(BITTORRENT_PROGRAMS)) {
    const path = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
    if (!path) continue;
    const owner = spawnSync('dpkg', ['-S', path], { encoding: 'utf8' });
    assert.equal(owner.status === 0 ? owner.stdout.split(':')[0]!.trim() : null, debianPackage, `${program} (${path})`);
  }
});
