// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The contract every protocol module fulfils. ftwall's method is the same for each peer-to-peer
 * protocol: recognise the client by its clear-text discovery, learn the peers it names or talks
 * to, answer it so it keeps talking, lock the host, and keep the lock with a probe the client must
 * answer. A module supplies only the protocol's bytes; the decision core (decide.ts), the state
 * writer and the actions use this contract and never a protocol's bytes. Modules are pure: no
 * sockets, no timers, nothing allocated per packet unless a reply or seed is built.
 * Adding a protocol: one folder under protocols/ and one line in protocols/index.ts.
 */

/**
 * What a UDP payload shows, as bits. STRONG: this protocol's discovery, from any host. WEAK:
 * counts only from a host already identified as this protocol's client (a message too short or
 * plain to stand alone). REQUEST (with STRONG): the client asks a peer and expects an answer, from
 * the socket its probes reach: ftwall answers in the peer's name (spoofed reply, when the module
 * replies) and keeps the request and its source port as the seed of its probes. LOCK: the datagram alone (re)starts the host's time lock, as a SYN to a
 * known peer does (BitTorrent's discovery runs all the time; FastTrack's pings do not lock: its
 * lock follows its TCP); only with STRONG: a weak sign is too easily shaped by someone else.
 * SERVER: the destination is a server of the protocol (a tracker), not a peer the data goes to:
 * not learned (a tracker often shares its address with other sites). IDENTIFY (with STRONG): the
 * datagram is only noted (Decision.noted) and passes: its sender is not identified, and nothing is
 * dropped, learned, locked or kept (a DNS lookup of the protocol's servers: a web page can make a
 * browser look up any name, and a LAN resolver looks up what its clients ask).
 */
export const UdpSign = { NONE: 0, STRONG: 1, WEAK: 2, REQUEST: 4, LOCK: 8, SERVER: 16, IDENTIFY: 32 } as const;

/**
 * What the start of a TCP flow (its first bytes in stream order, reassembled) shows. MATCH: this
 * protocol's session start. MORE: not yet, but more bytes could make it one (a header block not
 * ended yet). NONE: no more bytes will change that. IDENTIFY: this protocol's, but a third party can
 * make a benign host send it (an HTTP request: any web page can have a browser fetch any URL):
 * the flow is dropped and noted (Decision.noted), but its host is not identified nor locked, and
 * its destination is not learned.
 * WATCH: nothing fixed, but the start could be this protocol's encrypted session setup, after which
 * its session may go on in the clear (BitTorrent's MSE/PE): the flow's next segments, both ways,
 * within the safety net's limits, are shown to recogniseTcpLater.
 */
export const TcpSign = { NONE: 0, MATCH: 1, MORE: 2, IDENTIFY: 3, WATCH: 4 } as const;

/** A peer named inside a payload (e.g. an HTTP header), as numbers. */
export interface NamedPeer {
  ip: number;
  port: number;
}

/**
 * The shape of a protocol's UDP discovery, for the kernel's pre-match: datagrams whose first payload
 * byte and payload length fall in these ranges are queued even on a flow judged clean, so a client
 * cannot open a flow with junk and then talk on it unseen; ordinary bulk UDP stays in the kernel.
 */
export interface UdpShape {
  /** Inclusive range of the first payload byte. */
  firstByte: readonly [number, number];
  /** Inclusive range of the payload length in bytes. */
  payloadLength: readonly [number, number];
}

/**
 * A session start known only by its sizes, for a protocol whose session is encrypted after a clear
 * handshake with no fixed bytes (FastTrack: the client sends 12 bytes, a random word, its seed and
 * encoded cipher type, and waits; the supernode answers 8). The client speaks first, its start is
 * exactly `clientBytes` that `clientFits`, and the server's first data is exactly `serverBytes`
 * (in one segment or several): the safety net holds such a flow until the answer comes, judges it,
 * and drops it when it fits.
 */
export interface TcpHandshake {
  clientBytes: number;
  serverBytes: number;
  /** Whether a client start of clientBytes bytes can be this handshake (not text, not another protocol's known message). */
  clientFits(bytes: Uint8Array, offset: number, length: number): boolean;
}

/**
 * UDP a client sends to the router itself that shows it: to a multicast group a router does not
 * otherwise receive (BitTorrent's LSD; ftwall joins it on the LAN interfaces), or to a service on
 * the router (DNS). Queued on INPUT and judged like forwarded UDP, but the router is never learned,
 * answered or kept as a probe seed.
 */
export interface LocalUdp {
  /** The multicast group, or null: the router's own addresses. */
  group: string | null;
  port: number;
}

/** Bytes a module keeps of a client's request to build its probes from (at most). */
export const PROBE_SEED_MAX_BYTES = 32;

export interface ProtocolModule {
  /** Lower-case name, as in FTWALL_PROTOCOLS, logs and metrics. */
  readonly name: string;
  /** The shapes of its UDP datagrams that the kernel queues whatever their flow's mark. */
  readonly udpShapes: readonly UdpShape[];
  /** Its UDP to the router itself that the kernel queues (INPUT). */
  readonly localUdp: readonly LocalUdp[];
  /** UdpSign bits of the UDP payload bytes[offset, offset+length). */
  recogniseUdp(bytes: Uint8Array, offset: number, length: number): number;
  /**
   * TcpSign of a TCP flow's start: bytes[offset, offset+length) are its first bytes (reassembled,
   * possibly fewer than the flow sent), or one segment judged alone.
   */
  recogniseTcp(bytes: Uint8Array, offset: number, length: number): number;
  /**
   * Whether one TCP segment (bytes[offset, offset+length), either direction) of a flow whose start
   * this module said WATCH shows its session unmistakably, anywhere in the segment.
   */
  recogniseTcpLater(bytes: Uint8Array, offset: number, length: number): boolean;
  /** Its session handshake by sizes (judged on the first answer from the server), or null. */
  readonly tcpHandshake: TcpHandshake | null;
  /** A further peer the recognised TCP payload names, or null. */
  namedPeer(bytes: Uint8Array, offset: number, length: number): NamedPeer | null;
  /** Whether a UDP payload sent to the router's probe port answers this protocol's probe. */
  isProbeAnswer(bytes: Uint8Array, offset: number, length: number, fromIdentifiedClient: boolean): boolean;
  /** Whether ftwall answers this protocol's REQUESTs in the peer's name (buildReply); false: it only keeps them as seeds. */
  readonly replies: boolean;
  /** The answer to a REQUEST payload that ftwall sends in the peer's name; null when none. */
  buildReply(request: Uint8Array): Uint8Array | null;
  /** The probe payload built from a client's kept request (its seed). */
  buildProbe(seed: Uint8Array): Uint8Array;
}

/** What a module factory may read of the configuration. */
export interface ProtocolOptions {
  /** FastTrack network names (FTWALL_NETWORK_NAMES). */
  networkNames: readonly string[];
}

export type ProtocolFactory = (options: ProtocolOptions) => ProtocolModule;
