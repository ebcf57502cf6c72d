// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 12: everything ftwall runs or loads at run time is installed by the project's own files.
// A program or library installed by hand on one machine kept CI green there and the image broken.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { PROGRAMS } from '../../../src/system/programs.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** In every Node base image (node itself needs them): not ours to install. */
const BASE_LIBRARY_PACKAGES = new Set(['libc6', 'libstdc++6', 'libgcc-s1']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Packages scripts/dev.sh installs for every job (APT_PACKAGES). */
function devShPackages(): Set<string> {
  const text = readFileSync(join(ROOT, 'scripts/dev.sh'), 'utf8');
  const list = /^APT_PACKAGES=\(([^)]*)\)/m.exec(text);
  assert.ok(list, 'scripts/dev.sh declares APT_PACKAGES=(...)');
  return new Set(list[1]!.trim().split(/\s+/));
}

/** Packages the Dockerfile's last stage (the runtime image) installs with apt-get. */
function runtimeImagePackages(): Set<string> {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages = text.split(/^FROM\s/m);
  const runtime = stages[stages.length - 1]!;
  const installs = [...runtime.matchAll(/apt-get install ([^&\n]*)/g)].flatMap((match) => match[1]!.split(/\s+/));
  return new Set(installs.filter((word) => word && !word.startsWith('-')));
}

/** The Debian package that owns a file, or null (no dpkg, or not from a package). */
function owningPackage(path: string): string | null {
  const result = spawnSync('dpkg', ['-S', path], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split(':')[0]!.trim() : null;
}

/** The packages and everything they depend on, as this machine's dpkg database knows them. */
function withDependencies(packages: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const pending = [...packages];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const depends = spawnSync('dpkg-query', ['-W', '-f=${Depends},${Pre-Depends}', name], { encoding: 'utf8' }).stdout ?? '';
    for (const part of depends.split(/[,|]/)) {
      const dependency = part.trim().split(/[\s:(]/)[0];
      if (dependency) pending.push(dependency);
    }
  }
  return seen;
}

test('only src/system/programs.ts runs other programs', () => {
  const runners = sourceFiles(join(ROOT, 'src')).filter((path) => /node:child_process|['"]child_process['"]/.test(readFileSync(path, 'utf8')));
  assert.deepEqual(runners.map((path) => path.slice(ROOT.length)), ['src/system/programs.ts']);
});

test('every program ftwall runs is installed by scripts/dev.sh and by the runtime image', () => {
  const dev = devShPackages();
  const image = runtimeImagePackages();
  for (const [program, debianPackage] of Object.entries(PROGRAMS)) {
    assert.ok(dev.has(debianPackage), `${program}: scripts/dev.sh does not install ${debianPackage}`);
    assert.ok(image.has(debianPackage), `${program}: the Dockerfile's runtime stage does not install ${debianPackage}`);
  }
});

test('each listed program comes from the package it is listed with (where this machine has it)', (t) => {
  if (spawnSync('dpkg', ['--version']).status !== 0) return t.skip('no dpkg on this machine');
  for (const [program, debianPackage] of Object.entries(PROGRAMS)) {
    const path = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
    if (!path) continue; // not installed here: the test above still holds the lists to account
    assert.equal(owningPackage(path), debianPackage, `${program} (${path})`);
  }
});

test('every shared library the native addons load is installed by the runtime image', (t) => {
  if (spawnSync('dpkg', ['--version']).status !== 0) return t.skip('no dpkg on this machine');
  const image = withDependencies(runtimeImagePackages());
  const addons = ['packages/nfqueue-bindings/build/Release/nfqueue_bindings.node', 'node_modules/raw-socket/build/Release/raw.node'];
  for (const addon of addons) {
    const ldd = execFileSync('ldd', [join(ROOT, addon)], { encoding: 'utf8' });
    assert.doesNotMatch(ldd, /not found/, `${addon}: a library is missing on this machine`);
    const libraries = [...ldd.matchAll(/=> (\/\S+)/g)].map((match) => match[1]!);
    assert.ok(libraries.length > 0, `${addon}: ldd listed its libraries`);
    for (const library of libraries) {
      const owner = owningPackage(library) ?? owningPackage(library.replace(/^\/lib\//, '/usr/lib/'));
      assert.ok(owner, `${library} (loaded by ${addon}) belongs to no Debian package`);
      const name = owner.replace(/:amd64$|:arm64$/, '');
      if (BASE_LIBRARY_PACKAGES.has(name)) continue;
      assert.ok(image.has(name), `${addon} loads ${library} from ${name}, which the Dockerfile's runtime stage does not install (nor anything it depends on)`);
    }
  }
});
