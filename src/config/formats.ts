// SPDX-License-Identifier: GPL-2.0-or-later
/** Value formats for the convict schema: each turns an environment string into a typed value or throws a one-line reason. */

const INTERFACE_NAME = /^[A-Za-z0-9_.:@+-]{1,15}$/;

/** A comma list of Linux interface names. */
export function parseInterfaceList(value: unknown): string[] {
  const items = (Array.isArray(value) ? value : String(value ?? '').split(','))
    .map((item) => String(item).trim())
    .filter((item) => item.length > 0);
  if (items.length === 0) throw new Error('must name at least one LAN interface (comma list, e.g. "eth1,wlan0")');
  for (const item of items) {
    if (!INTERFACE_NAME.test(item)) throw new Error(`"${item}" is not a valid interface name`);
  }
  return [...new Set(items)];
}

/** A whole number within [min, max], given as a number or a decimal/hex string. */
export function parseInteger(value: unknown, min: number, max: number): number {
  const text = String(value).trim();
  const number = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new Error(`must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return number;
}

/** A packet-mark bit: a power of two within 32 bits. */
export function parseMarkBit(value: unknown): number {
  const mark = parseInteger(value, 1, 0xffffffff);
  if ((mark & (mark - 1)) !== 0) throw new Error(`must be a single bit (a power of two, e.g. 0x100000), got "${String(value)}"`);
  return mark >>> 0;
}

/** host:port, IPv4 or [IPv6]. */
export function parseHostPort(value: unknown): { host: string; port: number } {
  const text = String(value).trim();
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  if (!match) throw new Error(`must be host:port (e.g. 127.0.0.1:9490 or [::1]:9490), got "${text}"`);
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw new Error(`port must be 1..65535, got ${port}`);
  return { host: (match[1] ?? match[2])!, port };
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(value: unknown, choices: readonly T[]): T {
  const text = String(value).trim().toLowerCase();
  if (!(choices as readonly string[]).includes(text)) {
    throw new Error(`must be one of ${choices.join(', ')}, got "${String(value)}"`);
  }
  return text as T;
}

/** true/false, yes/no, on/off, 1/0. */
export function parseBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(text)) return true;
  if (['false', 'no', 'off', '0'].includes(text)) return false;
  throw new Error(`must be true or false, got "${String(value)}"`);
}

/** A comma list of non-empty names without NUL or commas. */
export function parseNameList(value: unknown): string[] {
  const items = String(value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) throw new Error('must name at least one network name (e.g. "KaZaA,fileshare")');
  for (const item of items) {
    if (item.length > 24 || /[^\x21-\x7e]/.test(item)) throw new Error(`"${item}" is not a network name (1..24 printable characters)`);
  }
  return [...new Set(items)];
}

/** A comma list of some of `choices` (at least one), in the order of `choices`. */
export function parseSubset<T extends string>(value: unknown, choices: readonly T[]): T[] {
  const items = String(value ?? '').split(',').map((item) => item.trim().toLowerCase()).filter(Boolean);
  if (items.length === 0) throw new Error(`must name at least one of ${choices.join(', ')}`);
  for (const item of items) {
    if (!(choices as readonly string[]).includes(item)) throw new Error(`must be a comma list of ${choices.join(', ')}, got "${item}"`);
  }
  return choices.filter((choice) => items.includes(choice));
}

/** An absolute file path, or "" for "off". */
export function parsePath(value: unknown): string {
  const text = String(value ?? '').trim();
  if (text !== '' && !text.startsWith('/')) throw new Error(`must be an absolute path or empty, got "${text}"`);
  return text;
}
