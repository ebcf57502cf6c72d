// SPDX-License-Identifier: GPL-2.0-or-later
// Conntrack deletion over ctnetlink (NFNL_SUBSYS_CTNETLINK) with libmnl: plain C++, no N-API.
// The kernel can only delete an entry named by its whole tuple, so a deletion by a partial tuple
// (say every UDP entry to one address and port) is a filtered dump followed by one DELETE per entry
// found, as conntrack-tools does. Blocking calls on a socket of their own: run them off the event loop.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>

namespace nfqb {

// Which entries to delete, matched against each entry's original-direction tuple. Zero fields
// match anything; addresses are IPv4 in network byte order, ports in host order.
struct ConntrackFilter {
  uint8_t protocol = 0;  // IPPROTO_TCP, IPPROTO_UDP, or 0 for any
  uint32_t source = 0;
  uint32_t destination = 0;
  uint16_t destinationPort = 0;  // needs protocol
  // When not empty: the destination (address << 16 | port, address in host order) must be one of
  // these. One dump then serves any number of peers (e.g. every stored peer at start).
  std::unordered_set<uint64_t> destinations;
};

struct ConntrackResult {
  uint32_t matched = 0;  // entries the dump returned that match the filter
  uint32_t deleted = 0;  // of those, deleted by us (the rest had already gone)
  std::string error;     // empty on success
};

// Deletes every IPv4 conntrack entry of this network namespace that matches the filter.
ConntrackResult DeleteConntrack(const ConntrackFilter& filter);

}  // namespace nfqb
