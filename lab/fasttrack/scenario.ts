// SPDX-License-Identifier: GPL-2.0-or-later
/** Runs the supernodes and the emulator inside a test bed (used by the e2e and container tests and the demo). */
import { fileURLToPath } from 'node:url';
import { JsonLines, type JsonLine } from '../json-lines.ts';
import { ReportingProcess } from '../traffic.ts';
import { FRESH_PEER_NET, PEER_NET, type TestBed } from '../netns.ts';

const SUPERNODES = fileURLToPath(new URL('./supernodes.ts', import.meta.url));
const EMULATOR = fileURLToPath(new URL('./emulator.ts', import.meta.url));

export interface ModeReport { pings: number; pongs: number; attempts: number; handshakes: number; ms: number }
export interface EmulatorReport { modes: Record<string, ModeReport>; probesAnswered: number; cacheRefreshes: number; hiddenAddresses: number }

export class Supernodes {
  readonly #process: ReportingProcess;

  private constructor(process: ReportingProcess) {
    this.#process = process;
  }

  static async start(bed: TestBed, count = 200): Promise<Supernodes> {
    const args = [process.execPath, SUPERNODES, `nets=${PEER_NET},${FRESH_PEER_NET}`, `count=${count}`];
    return new Supernodes(await ReportingProcess.start(bed, bed.internet, args, 'supernodes'));
  }

  /** Pings seen and handshakes completed so far. */
  async report(): Promise<{ pingsSeen: number; handshakes: number; handshakeFrom: string[] }> {
    return (await this.#process.report()) as never;
  }
}

/** A running emulated FastTrack client. */
export class Emulator {
  readonly lines: JsonLines;

  private constructor(lines: JsonLines) {
    this.lines = lines;
  }

  static start(bed: TestBed, ns: string, options: Record<string, string | number>): Emulator {
    const args = Object.entries({ net: PEER_NET, count: 200, udpPort: 3531, ...options }).map(([key, value]) => `${key}=${value}`);
    return new Emulator(new JsonLines(bed.spawn(ns, [process.execPath, EMULATOR, ...args]).stdout!));
  }

  modeStarted(mode: number, timeoutMs = 60_000): Promise<JsonLine> {
    return this.lines.waitFor((line) => line.mode === mode, timeoutMs, `emulator mode ${mode}`);
  }

  async finished(timeoutMs = 120_000): Promise<EmulatorReport> {
    return (await this.lines.waitFor((line) => 'report' in line, timeoutMs, 'emulator report')).report as EmulatorReport;
  }
}
