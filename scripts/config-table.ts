// SPDX-License-Identifier: GPL-2.0-or-later
/** Prints the README's configuration table from the schema (the one place defaults live). */
import { SETTINGS } from '../src/config/schema.ts';

export function configTable(): string {
  const rows = Object.values(SETTINGS).map((s) => `| \`${s.env}\` | ${s.default === '' ? '(empty)' : `\`${s.default}\``} | ${s.doc.replace(/\|/g, '\\|')} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

if (import.meta.main) process.stdout.write(`${configTable()}\n`);
