// SPDX-License-Identifier: GPL-2.0-or-later
/** ftwall's version, as package.json states it (read once; `--version`, the status report, telemetry). */
import { readFileSync } from 'node:fs';

export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
