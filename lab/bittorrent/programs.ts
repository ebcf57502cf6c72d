// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The programs lab/bittorrent runs, with the Debian package each comes from. scripts/dev.sh installs
 * them for the test job (TEST_PACKAGES); test/unit/system/lab-programs.test.ts holds the two lists together.
 */
export const BITTORRENT_PROGRAMS = {
  'transmission-daemon': 'transmission-daemon',
  aria2c: 'aria2',
  opentracker: 'opentracker',
  mktorrent: 'mktorrent',
  tcpdump: 'tcpdump',
} as const satisfies Record<string, string>;

export type BittorrentProgram = keyof typeof BITTORRENT_PROGRAMS;
