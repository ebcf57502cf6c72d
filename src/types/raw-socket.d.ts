// SPDX-License-Identifier: GPL-2.0-or-later
// The part of raw-socket 1.8 (no bundled types) that ftwall uses.
declare module 'raw-socket' {
  export interface Socket {
    send(buffer: Buffer, offset: number, length: number, address: string, afterCallback: (error: Error | null, bytes: number) => void): void;
    setOption(level: number, option: number, value: number): void;
    pauseRecv(): this;
    close(): this;
  }
  const raw: { createSocket(options: { protocol: number }): Socket };
  export default raw;
}
