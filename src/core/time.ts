// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The core's clock unit. Times in the shared tables and in every decision are Int32 ticks of
 * TICK_MS since the state's base time (6.8 years of range); 0 means "never".
 */
export const TICK_MS = 100;

/** A duration in ticks (rounded). */
export function ticksFor(ms: number): number {
  return Math.round(ms / TICK_MS);
}
