// SPDX-License-Identifier: GPL-2.0-or-later
// Hostile input (issue 6): a million random, truncated, oversized and mutated packets through the
// parser, the classifiers and the decision core, which must never throw, and must never lose a
// valid ping to a mutation of the fields that do not define one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CidrList } from '../../../src/core/cidr.ts';
import { CoreDecider } from '../../../src/core/decide.ts';
import { createProtocols } from '../../../src/core/protocols/index.ts';
import { findHttpMarker, findSupernodeAddress } from '../../../src/core/protocols/fasttrack/http.ts';
import { DEFAULT_NETWORK_NAMES, FastTrackUdp, NetworkNames, classifyFastTrackUdp } from '../../../src/core/protocols/fasttrack/udp.ts';
import { PacketView, parsePacket } from '../../../src/core/packet.ts';
import { Decision, PeerStatus, Reason, type StateView } from '../../../src/core/types.ts';
import { buildIpv4 } from '../../../lab/packets.ts';

const names = new NetworkNames(DEFAULT_NETWORK_NAMES);
const state: StateView = {
  peerStatus: (ip) => (ip % 3 === 0 ? PeerStatus.CONFIRMED : ip % 3 === 1 ? PeerStatus.LEARNED : PeerStatus.NONE),
  lockUntil: (ip) => (ip % 5 === 0 ? 1e9 : 0),
  clientStatus: (ip, hostKey) => (ip ^ hostKey) & 1,
  probePort: (ip) => 41214 + (ip & 7),
  probeSent: () => 995,
};
const decider = new CoreDecider({
  protocols: createProtocols(['fasttrack'], { networkNames: DEFAULT_NETWORK_NAMES }), blockUdp: true, lockEnabled: true, probePort: 41214, probePorts: 1024, answerTicks: 10, hostKeySecret: 7, exempt: CidrList.parse('10.9.0.0/16'), safetyNet: true,
  lanNetworks: CidrList.parse('0.0.0.0/1'), neverPeer: CidrList.parse('192.0.2.0/24'),
}, state);
const view = new PacketView();
const decision = new Decision();

/** Everything the worker runs on a packet; throws only if some piece throws. */
function inspect(bytes: Uint8Array, offset: number, length: number, hook: number): void {
  parsePacket(view, bytes, offset, length);
  view.hook = hook;
  decision.reset();
  decider.decide(view, 1000, decision);
  if (view.transport) {
    classifyFastTrackUdp(bytes, view.payloadOffset, view.payloadLength, names);
    findHttpMarker(bytes, view.payloadOffset, view.payloadLength);
    findSupernodeAddress(bytes, view.payloadOffset, view.payloadLength);
  }
}

const ipv4Header = fc.record({
  protocol: fc.constantFrom(6, 17, 1, 47, 255),
  src: fc.ipV4(), dst: fc.ipV4(),
  srcPort: fc.integer({ min: 0, max: 65535 }), dstPort: fc.integer({ min: 0, max: 65535 }),
  tcpFlags: fc.integer({ min: 0, max: 255 }),
  ipOptions: fc.constantFrom(0, 4, 8, 40), tcpOptions: fc.constantFrom(0, 4, 12, 40),
  fragmentOffset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })),
  payload: fc.uint8Array({ maxLength: 1600, size: 'max' }),
});

test('500,000 random byte strings up to 2000 bytes, at random offsets and lengths, never throw', () => {
  let bytesSeen = 0;
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000, size: 'max' }), fc.nat(), fc.nat(), fc.constantFrom(1, 2), (bytes, a, b, hook) => {
    bytesSeen += bytes.length;
    // Half of them start like an IPv4 header, so that parsing goes past the first checks.
    if (a % 2 === 0 && bytes.length > 0) bytes[0] = 0x45;
    const offset = bytes.length === 0 ? 0 : a % bytes.length;
    inspect(bytes, offset, b % (bytes.length - offset + 1), hook);
  }), { numRuns: 500_000 });
  assert.ok(bytesSeen / 500_000 > 500, 'the inputs really are packet-sized');
});

test('300,000 well-formed, truncated and oversized IPv4 packets (options, fragments) never throw', () => {
  fc.assert(fc.property(ipv4Header, fc.integer({ min: -64, max: 64 }), (spec, delta) => {
    const bytes = buildIpv4(spec);
    const length = Math.max(0, Math.min(bytes.length, bytes.length + delta));
    const padded = new Uint8Array(bytes.length + 64);
    padded.set(bytes);
    inspect(padded, 0, delta > 0 ? bytes.length + delta : length, 2);
  }), { numRuns: 300_000 });
});

test('200,000 valid pings with mutated non-defining fields are all still pings; their names are anchored', () => {
  fc.assert(fc.property(
    fc.constantFrom(...DEFAULT_NETWORK_NAMES), fc.integer({ min: 0, max: 0xffffffff }), ipv4Header,
    (name, encryption, spec) => {
      const ping = [0x27, encryption >>> 24, (encryption >>> 16) & 0xff, (encryption >>> 8) & 0xff, encryption & 0xff, 0x80, ...Buffer.from(`${name}\0`, 'latin1')];
      const bytes = buildIpv4({ ...spec, protocol: 17, fragmentOffset: 0, payload: ping });
      parsePacket(view, bytes, 0, bytes.length);
      assert.equal(classifyFastTrackUdp(bytes, view.payloadOffset, view.payloadLength, names), FastTrackUdp.PING);
      decision.reset();
      view.hook = 2;
      decider.decide(view, 1000, decision);
      assert.ok(decision.reason === Reason.P2P_UDP || decision.reason === Reason.EXEMPT);
      // Any change of the name's bytes (not to another allowed name) or of byte 5 unmakes it.
      const mutated = Uint8Array.from(ping);
      const at = 5 + 1 + (encryption % (name.length + 1));
      mutated[at] = (mutated[at]! + 1 + (encryption % 254)) & 0xff;
      const text = Buffer.from(mutated.subarray(6, mutated.length - 1)).toString('latin1');
      if (!(DEFAULT_NETWORK_NAMES as readonly string[]).includes(text)) {
        assert.equal(classifyFastTrackUdp(mutated, 0, mutated.length, names), FastTrackUdp.NONE);
      }
    }), { numRuns: 200_000 });
});
