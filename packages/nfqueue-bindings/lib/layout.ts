// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Memory layout shared with src/netlink_queue.h. The native side fills one metadata row of
 * META_WORDS u32 per packet and reads one verdict row of VERDICT_WORDS u32 per packet.
 */

/** Field offsets inside one metadata row (u32 words). */
export const Meta = {
  id: 0,
  hook: 1,
  hwProtocol: 2,
  mark: 3,
  indev: 4,
  outdev: 5,
  packetOffset: 6,
  packetLength: 7,
  originalLength: 8,
  skbInfo: 9,
  hwaddrLength: 10,
  hwaddr0to3: 11,
  hwaddr4to7: 12,
  physindev: 13,
} as const;

/** u32 words per packet in the metadata table. */
export const META_WORDS = 16;
/** u32 words per packet in the verdict table: [verdict code | flags, mark]. */
export const VERDICT_WORDS = 2;
/** Flag in the verdict word: also set the packet mark to the row's mark word. */
export const VERDICT_FLAG_SET_MARK = 0x80000000;

/** Netfilter verdict codes (linux/netfilter.h). */
export const Verdict = {
  DROP: 0,
  ACCEPT: 1,
  /** Re-run the same hook (with the new mark): later rules of the table still apply. */
  REPEAT: 4,
} as const;
export type VerdictCode = (typeof Verdict)[keyof typeof Verdict];

/** NFQA_SKB_INFO flags. */
export const SkbInfo = {
  CSUM_NOT_READY: 1,
  GSO: 2,
  CSUM_NOT_VERIFIED: 4,
} as const;

/** Netfilter hook numbers for IPv4 (NF_INET_*). */
export const Hook = {
  PRE_ROUTING: 0,
  LOCAL_IN: 1,
  FORWARD: 2,
  LOCAL_OUT: 3,
  POST_ROUTING: 4,
} as const;
