// SPDX-License-Identifier: GPL-2.0-or-later
#include "conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <string.h>
#include <time.h>

#include <memory>
#include <vector>

#include <libmnl/libmnl.h>

namespace nfqb {
namespace {

// The kernel's tuple-filter bits (net/netfilter/nf_internals.h, not in the uapi headers): a dump
// request with CTA_FILTER compares only the tuple fields whose bit is set (Linux 5.8 and later).
constexpr uint32_t FILTER_IP_SRC = 1u << 0;
constexpr uint32_t FILTER_IP_DST = 1u << 1;
constexpr uint32_t FILTER_PROTO_NUM = 1u << 3;
constexpr uint32_t FILTER_PROTO_DST_PORT = 1u << 5;

// A dump answer fills at most one page-sized skb per read; 32 KiB holds any of them.
constexpr size_t RECEIVE_BYTES = 32768;

struct SocketCloser {
  void operator()(mnl_socket* socket) const { mnl_socket_close(socket); }
};
using Socket = std::unique_ptr<mnl_socket, SocketCloser>;

// One entry found by the dump: what a DELETE needs to name it exactly.
struct Entry {
  std::vector<char> tuple;  // the CTA_TUPLE_ORIG attribute, copied whole
  uint16_t zone = 0;        // CTA_ZONE, network byte order (0: default zone)
  bool hasZone = false;
  uint32_t id = 0;          // CTA_ID, network byte order: deletes exactly this entry, not a successor
  bool hasId = false;
};

struct Tuple {
  uint32_t source = 0, destination = 0;
  uint8_t protocol = 0;
  bool hasPorts = false;
  uint16_t destinationPort = 0;
};

struct DumpState {
  const ConntrackFilter* filter;
  std::vector<Entry> entries;
};

std::string ErrnoText(const char* what) { return std::string(what) + ": " + strerror(errno); }

nlmsghdr* PutHeader(char* buffer, uint8_t type, uint16_t flags, uint32_t seq) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  nlh->nlmsg_seq = seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = AF_INET;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  return nlh;
}

// Collects the attributes of one nesting level by type (mnl_attr_parse* callback).
int CollectAttribute(const nlattr* attribute, void* data) {
  auto** table = static_cast<const nlattr**>(data);
  uint16_t type = mnl_attr_get_type(attribute);
  if (type <= CTA_MAX) table[type] = attribute;  // CTA_MAX bounds every nested enum used here
  return MNL_CB_OK;
}

bool ReadTuple(const nlattr* nested, Tuple& tuple) {
  const nlattr* parts[CTA_MAX + 1] = {};
  if (mnl_attr_parse_nested(nested, CollectAttribute, parts) < 0) return false;
  if (parts[CTA_TUPLE_IP]) {
    const nlattr* ip[CTA_MAX + 1] = {};
    if (mnl_attr_parse_nested(parts[CTA_TUPLE_IP], CollectAttribute, ip) < 0) return false;
    if (!ip[CTA_IP_V4_SRC] || !ip[CTA_IP_V4_DST]) return false;  // not IPv4
    tuple.source = mnl_attr_get_u32(ip[CTA_IP_V4_SRC]);
    tuple.destination = mnl_attr_get_u32(ip[CTA_IP_V4_DST]);
  }
  if (parts[CTA_TUPLE_PROTO]) {
    const nlattr* proto[CTA_MAX + 1] = {};
    if (mnl_attr_parse_nested(parts[CTA_TUPLE_PROTO], CollectAttribute, proto) < 0) return false;
    if (proto[CTA_PROTO_NUM]) tuple.protocol = mnl_attr_get_u8(proto[CTA_PROTO_NUM]);
    if (proto[CTA_PROTO_DST_PORT]) {
      tuple.destinationPort = ntohs(mnl_attr_get_u16(proto[CTA_PROTO_DST_PORT]));
      tuple.hasPorts = true;
    }
  }
  return true;
}

// The kernel filters too, but an older kernel may ignore or refuse CTA_FILTER: match here as well.
bool Matches(const ConntrackFilter& filter, const Tuple& tuple) {
  if (filter.protocol && tuple.protocol != filter.protocol) return false;
  if (filter.source && tuple.source != filter.source) return false;
  if (filter.destination && tuple.destination != filter.destination) return false;
  if (filter.destinationPort && tuple.destinationPort != filter.destinationPort) return false;
  if (!filter.destinations.empty()) {
    if (!tuple.hasPorts) return false;
    uint64_t key = (uint64_t(ntohl(tuple.destination)) << 16) | tuple.destinationPort;
    if (filter.destinations.count(key) == 0) return false;
  }
  return true;
}

int OnDumpedEntry(const nlmsghdr* nlh, void* data) {
  auto* state = static_cast<DumpState*>(data);
  const nlattr* table[CTA_MAX + 1] = {};
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), CollectAttribute, table) < 0 || !table[CTA_TUPLE_ORIG]) return MNL_CB_OK;
  Tuple tuple;
  if (!ReadTuple(table[CTA_TUPLE_ORIG], tuple) || !Matches(*state->filter, tuple)) return MNL_CB_OK;
  Entry entry;
  const char* payload = static_cast<const char*>(mnl_attr_get_payload(table[CTA_TUPLE_ORIG]));
  entry.tuple.assign(payload, payload + mnl_attr_get_payload_len(table[CTA_TUPLE_ORIG]));
  if (table[CTA_ZONE]) {
    entry.zone = mnl_attr_get_u16(table[CTA_ZONE]);
    entry.hasZone = true;
  }
  if (table[CTA_ID]) {
    entry.id = mnl_attr_get_u32(table[CTA_ID]);
    entry.hasId = true;
  }
  state->entries.push_back(std::move(entry));
  return MNL_CB_OK;
}

void PutFilter(nlmsghdr* nlh, const ConntrackFilter& filter) {
  uint32_t flags = 0;
  nlattr* tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
  nlattr* ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
  if (filter.source) {
    mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, filter.source);
    flags |= FILTER_IP_SRC;
  }
  if (filter.destination) {
    mnl_attr_put_u32(nlh, CTA_IP_V4_DST, filter.destination);
    flags |= FILTER_IP_DST;
  }
  mnl_attr_nest_end(nlh, ip);
  if (filter.protocol) {
    nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
    mnl_attr_put_u8(nlh, CTA_PROTO_NUM, filter.protocol);
    flags |= FILTER_PROTO_NUM;
    if (filter.destinationPort) {
      mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(filter.destinationPort));
      flags |= FILTER_PROTO_DST_PORT;
    }
    mnl_attr_nest_end(nlh, proto);
  }
  mnl_attr_nest_end(nlh, tuple);
  nlattr* filterNest = mnl_attr_nest_start(nlh, CTA_FILTER);
  mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, flags);  // host byte order, as the kernel reads it
  mnl_attr_nest_end(nlh, filterNest);
}

// Sends one request and reads its answers until the kernel says done (or acks); -1 with errno.
int Exchange(mnl_socket* socket, nlmsghdr* request, mnl_cb_t callback, void* data) {
  if (mnl_socket_sendto(socket, request, request->nlmsg_len) < 0) return -1;
  std::vector<char> buffer(RECEIVE_BYTES);
  uint32_t portId = mnl_socket_get_portid(socket);
  for (;;) {
    ssize_t received = mnl_socket_recvfrom(socket, buffer.data(), buffer.size());
    if (received < 0) return -1;
    int result = mnl_cb_run(buffer.data(), size_t(received), request->nlmsg_seq, portId, callback, data);
    if (result <= MNL_CB_STOP) return result;
  }
}

std::string Dump(mnl_socket* socket, const ConntrackFilter& filter, uint32_t seq, bool withKernelFilter, DumpState& state) {
  std::vector<char> request(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = PutHeader(request.data(), IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq);
  bool filtered = withKernelFilter && (filter.protocol || filter.source || filter.destination);
  if (filtered) PutFilter(nlh, filter);
  if (Exchange(socket, nlh, OnDumpedEntry, &state) < 0) {
    if (filtered && (errno == EINVAL || errno == EOPNOTSUPP)) {
      state.entries.clear();
      return Dump(socket, filter, seq + 1, false, state);  // a kernel without tuple filters
    }
    return ErrnoText("conntrack dump failed");
  }
  return "";
}

}  // namespace

ConntrackResult DeleteConntrack(const ConntrackFilter& filter) {
  ConntrackResult result;
  Socket socket(mnl_socket_open(NETLINK_NETFILTER));
  if (!socket) {
    result.error = ErrnoText("cannot open a netfilter netlink socket");
    return result;
  }
  if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    result.error = ErrnoText("cannot bind the netlink socket");
    return result;
  }
  uint32_t seq = uint32_t(time(nullptr)) << 8;
  DumpState state{&filter, {}};
  result.error = Dump(socket.get(), filter, seq, true, state);
  if (!result.error.empty()) return result;
  result.matched = uint32_t(state.entries.size());
  std::vector<char> request(MNL_SOCKET_BUFFER_SIZE);
  uint32_t deleteSeq = seq + 2;  // after the dump's (and its retry's)
  for (const Entry& entry : state.entries) {
    nlmsghdr* nlh = PutHeader(request.data(), IPCTNL_MSG_CT_DELETE, NLM_F_ACK, deleteSeq++);
    mnl_attr_put(nlh, CTA_TUPLE_ORIG | NLA_F_NESTED, entry.tuple.size(), entry.tuple.data());
    if (entry.hasZone) mnl_attr_put_u16(nlh, CTA_ZONE, entry.zone);
    if (entry.hasId) mnl_attr_put_u32(nlh, CTA_ID, entry.id);
    if (Exchange(socket.get(), nlh, nullptr, nullptr) >= 0) {
      result.deleted++;
    } else if (errno != ENOENT) {  // ENOENT: it ended on its own meanwhile
      result.error = ErrnoText("conntrack delete failed");
      return result;
    }
  }
  return result;
}

}  // namespace nfqb
