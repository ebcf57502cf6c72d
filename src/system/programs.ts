// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The one place that runs other programs, and the list of every program ftwall may run, each with
 * the Debian package that installs it. scripts/dev.sh and the Dockerfile's runtime stage must
 * install each package (test/unit/system/programs.test.ts checks both, and that nothing in src/
 * runs a program any other way): a tool installed by hand keeps one machine green and the next red.
 */
import { spawnSync } from 'node:child_process';

export const PROGRAMS = {
  'iptables-nft': 'iptables',
  'iptables-nft-save': 'iptables',
  'iptables-nft-restore': 'iptables',
  'iptables-legacy': 'iptables',
  'iptables-legacy-save': 'iptables',
  'iptables-legacy-restore': 'iptables',
  nft: 'nftables',
} as const;

export type Program = keyof typeof PROGRAMS;

export interface ProgramRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The program is not installed (ENOENT). */
  missing: boolean;
}

/** Runs a listed program to completion (30 s at most), `input` on its standard input. */
export function runProgram(program: Program, args: string[], input?: string): ProgramRun {
  const result = spawnSync(program, args, { input, encoding: 'utf8', timeout: 30_000 });
  const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', missing };
}
