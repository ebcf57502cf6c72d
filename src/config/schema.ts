// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Every ftwall setting: its environment variable, default and documentation. The one place that
 * holds defaults; README and `ftwall --help` are generated from / checked against this table.
 */
import os from 'node:os';
import { CidrList } from '../core/cidr.ts';
import { DEFAULT_NETWORK_NAMES } from '../core/protocols/fasttrack/udp.ts';
import { PROTOCOL_NAMES } from '../core/protocols/index.ts';
import { parseBoolean, parseChoice, parseHostPort, parseInteger, parseInterfaceList, parseMarkBit, parseNameList, parsePath, parseSubset } from './formats.ts';

export const IPTABLES_BACKENDS = ['auto', 'nft', 'legacy'] as const;
export const MODES = ['enforce', 'monitor'] as const;
export const FAIL_MODES = ['open', 'closed'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One setting: a parser from the raw environment string plus the text the operator reads. */
export interface Setting<T> {
  env: `FTWALL_${string}`;
  /** Default as the operator would write it in the environment. */
  default: string;
  doc: string;
  parse: (raw: unknown) => T;
}

const setting = <T>(s: Setting<T>): Setting<T> => s;

export const SETTINGS = {
  lanInterfaces: setting({
    env: 'FTWALL_LAN_INTERFACE', default: '',
    doc: 'LAN interface(s) whose clients ftwall watches, comma separated (e.g. "eth1,wlan0"). Required.',
    parse: parseInterfaceList,
  }),
  workers: setting({
    env: 'FTWALL_WORKERS', default: '0',
    doc: 'Worker threads, one NFQUEUE queue each; 0 means one per CPU.',
    parse: (raw) => parseInteger(raw, 0, 64) || Math.min(64, Math.max(1, os.availableParallelism())),
  }),
  queueBase: setting({
    env: 'FTWALL_QUEUE_BASE', default: '1214',
    doc: 'First NFQUEUE queue number; workers use FTWALL_QUEUE_BASE .. FTWALL_QUEUE_BASE+FTWALL_WORKERS-1.',
    parse: (raw) => parseInteger(raw, 0, 65535 - 64),
  }),
  protocols: setting({
    env: 'FTWALL_PROTOCOLS', default: PROTOCOL_NAMES.join(','),
    doc: `Peer-to-peer protocols ftwall recognises and stops, comma separated: ${PROTOCOL_NAMES.join(', ')}.`,
    parse: (raw) => parseSubset(raw, PROTOCOL_NAMES),
  }),
  lockSeconds: setting({
    env: 'FTWALL_LOCK_SECONDS', default: '120',
    doc: 'FastTrack time lock: seconds a FastTrack client loses all new TCP connections after a SYN to a known peer; 0 disables its locks.',
    parse: (raw) => parseInteger(raw, 0, 86400),
  }),
  bittorrentLockSeconds: setting({
    env: 'FTWALL_BITTORRENT_LOCK_SECONDS', default: '120',
    doc: 'BitTorrent time lock: seconds a BitTorrent client loses all new TCP connections after its discovery (DHT, uTP, trackers) or a SYN to a known peer; 0 disables its locks.',
    parse: (raw) => parseInteger(raw, 0, 86400),
  }),
  mode: setting({
    env: 'FTWALL_MODE', default: 'enforce',
    doc: 'enforce: drop what the decisions say; monitor: decide, log and count the same, but accept every packet.',
    parse: (raw) => parseChoice(raw, MODES),
  }),
  fail: setting({
    env: 'FTWALL_FAIL', default: 'open',
    doc: 'open: traffic passes when ftwall is not running or falls behind (queue bypass, fail-open queues); closed: it is dropped (but for the discovery to the router itself, LSD and DNS, which always passes).',
    parse: (raw) => parseChoice(raw, FAIL_MODES),
  }),
  blockUdp: setting({
    env: 'FTWALL_BLOCK_UDP', default: 'true',
    doc: 'Drop FastTrack UDP and UDP to known peers; false lets it through after noting it (the original -n).',
    parse: parseBoolean,
  }),
  networkNames: setting({
    env: 'FTWALL_NETWORK_NAMES', default: DEFAULT_NETWORK_NAMES.join(','),
    doc: 'FastTrack network names recognised in 0x27 pings and 0x28 pongs, comma separated (case matters).',
    parse: parseNameList,
  }),
  exempt: setting({
    env: 'FTWALL_EXEMPT', default: '',
    doc: 'LAN hosts ftwall never touches, as a comma list of IPv4 addresses or CIDRs.',
    parse: (raw) => CidrList.parse(String(raw)),
  }),
  safetyNet: setting({
    env: 'FTWALL_SAFETY_NET', default: 'true',
    doc: 'Also judge the start of each TCP flow (its first data segments, reassembled, and the server\'s first answer) and block flows that start with FastTrack HTTP or the FastTrack session handshake (12 bytes answered by 8).',
    parse: parseBoolean,
  }),
  stateDir: setting({
    env: 'FTWALL_STATE_DIR', default: '/var/lib/ftwall',
    doc: 'Directory of the state kept across restarts: peers.txt (learned peers, append-only, the original -f) and clients.json (identified hosts and their locks); empty keeps nothing.',
    parse: parsePath,
  }),
  lanNetworks: setting({
    env: 'FTWALL_LAN_NETWORKS', default: '',
    doc: 'IPv4 networks (CIDR list) of the LAN hosts ftwall may identify, lock, probe and answer; empty means the LAN interfaces\' own networks. FastTrack from other sources is still dropped but changes no state.',
    parse: (raw) => CidrList.parse(String(raw)),
  }),
  neverPeer: setting({
    env: 'FTWALL_NEVER_PEER', default: '',
    doc: 'Destinations (CIDR list) never treated as FastTrack peers, whatever LAN hosts send them: your own servers, CDNs.',
    parse: (raw) => CidrList.parse(String(raw)),
  }),
  peerQuorum: setting({
    env: 'FTWALL_PEER_QUORUM', default: '3',
    doc: 'Distinct LAN hosts that must reveal a peer before it is held back from every host; until then it is held back from identified FastTrack clients only. 1 trusts every single revealer (the original behaviour).',
    parse: (raw) => parseInteger(raw, 1, 16),
  }),
  clientQuietSeconds: setting({
    env: 'FTWALL_CLIENT_QUIET_SECONDS', default: '3600',
    doc: 'An identified client with no FastTrack activity and no lock for this long is forgotten (treated as any other host again).',
    parse: (raw) => parseInteger(raw, 10, 31_536_000),
  }),
  peerQuietSeconds: setting({
    env: 'FTWALL_PEER_QUIET_SECONDS', default: '86400',
    doc: 'A learned or confirmed peer that no packet revealed or tried to reach for this long is forgotten, in memory and in peers.txt; the operator\'s peers (plain peers.txt lines) never are.',
    parse: (raw) => parseInteger(raw, 10, 31_536_000),
  }),
  clientDir: setting({
    env: 'FTWALL_CLIENT_DIR', default: '',
    doc: 'Directory with one file per identified LAN client, removed when the client stops; empty disables it (the original -c).',
    parse: parsePath,
  }),
  spoofRate: setting({
    env: 'FTWALL_SPOOF_RATE', default: '200',
    doc: 'Most spoofed pongs sent per second in all, and separately most probes (more are skipped and counted).',
    parse: (raw) => parseInteger(raw, 1, 100000),
  }),
  sourceLimit: setting({
    env: 'FTWALL_SOURCE_LIMIT', default: '500',
    doc: 'New flows (UDP and TCP) per second each LAN host may open through the router, one second\'s worth as burst; more are dropped before the queue and counted (nftables). 0 disables the limit.',
    parse: (raw) => parseInteger(raw, 0, 1_000_000),
  }),
  otlpLogs: setting({
    env: 'FTWALL_OTLP_LOGS', default: 'false',
    doc: 'Also send every log line to OpenTelemetry Logs (OTLP, per the OTEL_* variables), besides stdout.',
    parse: parseBoolean,
  }),
  controlSocket: setting({
    env: 'FTWALL_CONTROL_SOCKET', default: '/run/ftwall/control.sock',
    doc: 'Unix socket of the local control channel (ftwall status, unlock, forget), in a directory only root may enter, mode 0600; empty: none.',
    parse: parsePath,
  }),
  statusPage: setting({
    env: 'FTWALL_STATUS_PAGE', default: 'true',
    doc: 'Serve the status page (/status, /status.json: LAN hosts with their MACs, locks, peers) on FTWALL_HTTP_ADDRESS; false leaves only /healthz, /readyz and /metrics.',
    parse: parseBoolean,
  }),
  httpAddress: setting({
    env: 'FTWALL_HTTP_ADDRESS', default: '127.0.0.1:9490',
    doc: 'host:port of the HTTP endpoint serving /healthz, /readyz, /metrics (Prometheus text) and the status page /status (/status.json).',
    parse: parseHostPort,
  }),
  iptables: setting({
    env: 'FTWALL_IPTABLES', default: 'auto',
    doc: 'iptables backend: nft, legacy, or auto (the one that already holds the host\'s rules; nft on a tie).',
    parse: (raw) => parseChoice(raw, IPTABLES_BACKENDS),
  }),
  logLevel: setting({
    env: 'FTWALL_LOG_LEVEL', default: 'info',
    doc: `Log level: ${LOG_LEVELS.join(', ')}.`,
    parse: (raw) => parseChoice(raw, LOG_LEVELS),
  }),
  mark: setting({
    env: 'FTWALL_MARK', default: '0x100000',
    doc: 'Packet-mark bit ftwall sets on packets it has decided (its rules skip them; later rules still apply). Must be a bit no other software uses.',
    parse: parseMarkBit,
  }),
  flowBypass: setting({
    env: 'FTWALL_FLOW_BYPASS', default: 'true',
    doc: 'Once a flow is judged clean, its later packets skip the queue (conntrack mark); UDP flows to a peer learned later are cut (conntrack over netlink). Switched off, with a warning, on a host where conntrack entries cannot be deleted.',
    parse: parseBoolean,
  }),
  bypassMark: setting({
    env: 'FTWALL_BYPASS_MARK', default: '0x200000',
    doc: 'Packet- and connection-mark bit of flows judged clean (see FTWALL_FLOW_BYPASS). Must differ from FTWALL_MARK.',
    parse: parseMarkBit,
  }),
  probePort: setting({
    env: 'FTWALL_PROBE_PORT', default: '41214',
    doc: 'First of the router\'s UDP ports that probes are sent from (each probe from one picked at random); answers to them are queued through INPUT, at most 10 FastTrack-shaped datagrams a second per LAN host. Keep the router\'s own programs off these ports (sysctl net.ipv4.ip_local_reserved_ports).',
    parse: (raw) => parseInteger(raw, 1, 65535),
  }),
  probePorts: setting({
    env: 'FTWALL_PROBE_PORTS', default: '1024',
    doc: 'How many ports, from FTWALL_PROBE_PORT on, probes are sent from: a forged answer must guess the one a probe used (1 in this many).',
    parse: (raw) => parseInteger(raw, 1, 16384),
  }),
  queueMaxLength: setting({
    env: 'FTWALL_QUEUE_MAX_LENGTH', default: '8192',
    doc: 'Packets each kernel queue may hold before it passes the overflow (fail-open).',
    parse: (raw) => parseInteger(raw, 16, 65536),
  }),
  queueCopyBytes: setting({
    env: 'FTWALL_QUEUE_COPY_BYTES', default: '2048',
    doc: 'Bytes of each queued packet copied to ftwall (headers plus the start of the payload).',
    parse: (raw) => parseInteger(raw, 128, 65535),
  }),
  socketBufferBytes: setting({
    env: 'FTWALL_SOCKET_BUFFER_BYTES', default: '8388608',
    doc: 'Receive buffer of each queue\'s netlink socket (the original -b option).',
    parse: (raw) => parseInteger(raw, 65536, 1 << 30),
  }),
  batchSize: setting({
    env: 'FTWALL_BATCH_SIZE', default: '256',
    doc: 'Most packets read and decided per batch.',
    parse: (raw) => parseInteger(raw, 1, 4096),
  }),
  maxPeers: setting({
    env: 'FTWALL_MAX_PEERS', default: '262144',
    doc: 'Cap on remembered FastTrack peers (ip:port); the least recently seen are evicted first.',
    parse: (raw) => parseInteger(raw, 16, 16_777_216),
  }),
  maxClients: setting({
    env: 'FTWALL_MAX_CLIENTS', default: '65536',
    doc: 'Cap on remembered LAN clients; the least recently seen are evicted first.',
    parse: (raw) => parseInteger(raw, 16, 1_048_576),
  }),
  drainMilliseconds: setting({
    env: 'FTWALL_DRAIN_MS', default: '2000',
    doc: 'On stop, after removing its rules, how long ftwall may wait for packets already queued to be decided.',
    parse: (raw) => parseInteger(raw, 0, 60000),
  }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
/** The typed, validated configuration. */
export type Config = Readonly<{ [K in SettingKey]: ReturnType<(typeof SETTINGS)[K]['parse']> }>;

export { parseBoolean };
