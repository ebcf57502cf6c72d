// SPDX-License-Identifier: GPL-2.0-or-later
// Keeps the README and --help true to the schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configTable } from '../../scripts/config-table.ts';
import { SETTINGS } from '../../src/config/schema.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test('the README starts with exactly the two set-up commands, and CI runs the second', () => {
  const block = /^# ftwall\n\n```sh\n([^`]*)```/.exec(readme);
  assert.ok(block, 'a shell block right under the title');
  const commands = block[1]!.trim().split('\n').map((line) => line.replace(/\s+#.*$/, '').trim());
  assert.deepEqual(commands, ['bash scripts/dev.sh demo', 'bash scripts/dev.sh test']);
  assert.match(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8'), /^bash scripts\/dev\.sh test$/m);
});

test('the README configuration table is the schema\'s, every variable with its default', () => {
  assert.ok(readme.includes(configTable()), 'regenerate with: node scripts/config-table.ts');
});

test('--help lists every variable with its default', async () => {
  const { execFileSync } = await import('node:child_process');
  const help = execFileSync(process.execPath, [new URL('../../src/cli.ts', import.meta.url).pathname, '--help'], { encoding: 'utf8' });
  for (const setting of Object.values(SETTINGS)) {
    assert.ok(help.includes(setting.env), setting.env);
    if (setting.default) assert.ok(help.includes(`(default ${setting.default})`), `${setting.env} default`);
  }
});
