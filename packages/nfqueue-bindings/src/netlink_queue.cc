// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink_queue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_NO_ENOBUFS
#define NETLINK_NO_ENOBUFS 5
#endif

namespace nfqb {
namespace {

// Room for the netlink and nfqueue headers and attributes that precede the payload.
constexpr size_t SLOT_OVERHEAD_BYTES = 512;
// One verdict message: nlmsghdr + nfgenmsg + verdict header + mark attribute, aligned.
constexpr size_t VERDICT_MESSAGE_BYTES = 64;

std::string ErrnoText(const char* what) {
  return std::string(what) + ": " + strerror(errno);
}

}  // namespace

NetlinkQueue::NetlinkQueue(const QueueOptions& options) : options_(options) {
  if (options_.batchSize == 0) options_.batchSize = 1;
  slotBytes_ = (options_.copyRange + SLOT_OVERHEAD_BYTES + 7) & ~size_t(7);
  packets_.resize(slotBytes_ * options_.batchSize);
  meta_.resize(size_t(META_WORDS) * options_.batchSize);
  verdicts_.resize(size_t(VERDICT_WORDS) * options_.batchSize);
  sendBuffer_.resize(VERDICT_MESSAGE_BYTES * options_.batchSize + MNL_SOCKET_BUFFER_SIZE);
  controlBuffer_.resize(MNL_SOCKET_BUFFER_SIZE + slotBytes_);
  receiveHeaders_.resize(options_.batchSize);
  receiveVectors_.resize(options_.batchSize);
  for (uint32_t i = 0; i < options_.batchSize; i++) {
    receiveVectors_[i].iov_base = packets_.data() + i * slotBytes_;
    receiveVectors_[i].iov_len = slotBytes_;
    memset(&receiveHeaders_[i], 0, sizeof(mmsghdr));
    receiveHeaders_[i].msg_hdr.msg_iov = &receiveVectors_[i];
    receiveHeaders_[i].msg_hdr.msg_iovlen = 1;
  }
}

NetlinkQueue::~NetlinkQueue() { Close(); }

int NetlinkQueue::Fd() const { return socket_ ? mnl_socket_get_fd(socket_) : -1; }

std::string NetlinkQueue::Open() {
  if (socket_) return "queue is already open";
  socket_ = mnl_socket_open(NETLINK_NETFILTER);
  if (!socket_) return ErrnoText("cannot open a netfilter netlink socket");
  if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    std::string error = ErrnoText("cannot bind the netlink socket");
    Close();
    return error;
  }
  portId_ = mnl_socket_get_portid(socket_);
  int fd = mnl_socket_get_fd(socket_);
  int size = int(options_.receiveBufferBytes);
  // SO_RCVBUFFORCE passes net.core.rmem_max (root only); fall back to SO_RCVBUF.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  }
  int on = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof(on));
  std::string error = Configure();
  if (!error.empty()) {
    Close();
    return error;
  }
  return "";
}

std::string NetlinkQueue::Configure() {
  std::vector<uint8_t> buffer(MNL_SOCKET_BUFFER_SIZE);
  char* raw = reinterpret_cast<char*>(buffer.data());

  nlmsghdr* message = nfq_nlmsg_put(raw, NFQNL_MSG_CONFIG, options_.queue);
  nfq_nlmsg_cfg_put_cmd(message, AF_INET, NFQNL_CFG_CMD_BIND);
  std::string error = SendConfigAndWaitAck(message);
  if (!error.empty()) {
    if (error.find("Device or resource busy") != std::string::npos ||
        error.find("Operation not permitted") != std::string::npos) {
      return "cannot bind queue " + std::to_string(options_.queue) + " (" + error +
             "): another process holds it, or this process lacks CAP_NET_ADMIN";
    }
    return "cannot bind queue " + std::to_string(options_.queue) + ": " + error;
  }

  message = nfq_nlmsg_put(raw, NFQNL_MSG_CONFIG, options_.queue);
  nfq_nlmsg_cfg_put_params(message, NFQNL_COPY_PACKET, int(options_.copyRange));
  nfq_nlmsg_cfg_put_qmaxlen(message, options_.maxLength);
  uint32_t flags = (options_.failOpen ? NFQA_CFG_F_FAIL_OPEN : 0) | (options_.gso ? NFQA_CFG_F_GSO : 0);
  uint32_t mask = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
  mnl_attr_put_u32(message, NFQA_CFG_FLAGS, htonl(flags));
  mnl_attr_put_u32(message, NFQA_CFG_MASK, htonl(mask));
  error = SendConfigAndWaitAck(message);
  if (!error.empty()) return "cannot configure queue " + std::to_string(options_.queue) + ": " + error;
  return "";
}

std::string NetlinkQueue::SendConfigAndWaitAck(nlmsghdr* message) {
  message->nlmsg_flags |= NLM_F_ACK;
  message->nlmsg_seq = ++sequence_;
  if (mnl_socket_sendto(socket_, message, message->nlmsg_len) < 0) return ErrnoText("send");
  for (;;) {
    ssize_t received = mnl_socket_recvfrom(socket_, controlBuffer_.data(), controlBuffer_.size());
    if (received < 0) {
      if (errno == ENOBUFS || errno == EINTR) continue;
      return ErrnoText("receive");
    }
    const nlmsghdr* reply = reinterpret_cast<const nlmsghdr*>(controlBuffer_.data());
    int remaining = int(received);
    while (mnl_nlmsg_ok(reply, remaining)) {
      if (reply->nlmsg_type == NLMSG_ERROR && reply->nlmsg_seq == sequence_) {
        const nlmsgerr* ack = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(reply));
        if (ack->error == 0) return "";
        errno = -ack->error;
        return strerror(errno);
      }
      // A packet queued before configuration finished: never leave it hanging.
      if ((reply->nlmsg_type & 0xff) == NFQNL_MSG_PACKET) AcceptStrayPacket(reply);
      reply = mnl_nlmsg_next(reply, &remaining);
    }
  }
}

void NetlinkQueue::AcceptStrayPacket(const nlmsghdr* message) {
  nlattr* attributes[NFQA_MAX + 1] = {};
  if (nfq_nlmsg_parse(message, attributes) < 0 || !attributes[NFQA_PACKET_HDR]) return;
  const nfqnl_msg_packet_hdr* header =
      static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attributes[NFQA_PACKET_HDR]));
  char buffer[VERDICT_MESSAGE_BYTES * 2];
  nlmsghdr* verdict = nfq_nlmsg_put(buffer, NFQNL_MSG_VERDICT, options_.queue);
  nfq_nlmsg_verdict_put(verdict, int(ntohl(header->packet_id)), NF_ACCEPT);
  if (mnl_socket_sendto(socket_, verdict, verdict->nlmsg_len) < 0) counters_.sendErrors++;
}

void NetlinkQueue::Close() {
  if (!socket_) return;
  char buffer[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* message = nfq_nlmsg_put(buffer, NFQNL_MSG_CONFIG, options_.queue);
  nfq_nlmsg_cfg_put_cmd(message, AF_INET, NFQNL_CFG_CMD_UNBIND);
  mnl_socket_sendto(socket_, message, message->nlmsg_len);
  mnl_socket_close(socket_);
  socket_ = nullptr;
}

// The packet's attributes, in one pass over them. This is the hottest native code (every packet),
// so it walks the attributes inline instead of through nfq_nlmsg_parse, whose per-attribute
// validation callbacks cost more than the rest of this function; the checks it makes are the same
// for the attributes read here: each must lie inside the message and be at least as long as read.
bool NetlinkQueue::StorePacket(const nlmsghdr* message, uint32_t slot, const uint8_t* slotBase) {
  constexpr size_t HEADER_BYTES = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  if (message->nlmsg_len < HEADER_BYTES) return false;
  const uint8_t* at = reinterpret_cast<const uint8_t*>(message) + HEADER_BYTES;
  const uint8_t* end = reinterpret_cast<const uint8_t*>(message) + message->nlmsg_len;
  const nlattr* found[NFQA_MAX + 1] = {};
  while (at + sizeof(nlattr) <= end) {
    const nlattr* attribute = reinterpret_cast<const nlattr*>(at);
    if (attribute->nla_len < sizeof(nlattr) || at + attribute->nla_len > end) break;
    uint16_t type = attribute->nla_type & NLA_TYPE_MASK;
    if (type <= NFQA_MAX) found[type] = attribute;
    at += NLA_ALIGN(attribute->nla_len);
  }
  auto packetLength = [](const nlattr* attribute) { return size_t(attribute->nla_len) - NLA_HDRLEN; };
  auto payloadOf = [](const nlattr* attribute) { return reinterpret_cast<const uint8_t*>(attribute) + NLA_HDRLEN; };
  auto u32 = [&](int type, uint32_t otherwise) {
    const nlattr* attribute = found[type];
    if (!attribute || packetLength(attribute) < sizeof(uint32_t)) return otherwise;
    uint32_t value;
    memcpy(&value, payloadOf(attribute), sizeof value);
    return ntohl(value);
  };
  const nlattr* headerAttribute = found[NFQA_PACKET_HDR];
  if (!headerAttribute || packetLength(headerAttribute) < sizeof(nfqnl_msg_packet_hdr)) return false;
  nfqnl_msg_packet_hdr header;
  memcpy(&header, payloadOf(headerAttribute), sizeof header);
  uint32_t* meta = meta_.data() + size_t(slot) * META_WORDS;
  memset(meta, 0, META_WORDS * sizeof(uint32_t));
  meta[META_ID] = ntohl(header.packet_id);
  meta[META_HOOK] = header.hook;
  meta[META_HW_PROTOCOL] = ntohs(header.hw_protocol);
  meta[META_MARK] = u32(NFQA_MARK, 0);
  meta[META_INDEV] = u32(NFQA_IFINDEX_INDEV, 0);
  meta[META_OUTDEV] = u32(NFQA_IFINDEX_OUTDEV, 0);
  meta[META_PHYSINDEV] = u32(NFQA_IFINDEX_PHYSINDEV, 0);
  meta[META_SKB_INFO] = u32(NFQA_SKB_INFO, 0);
  if (const nlattr* payload = found[NFQA_PAYLOAD]) {
    uint32_t length = uint32_t(packetLength(payload));
    meta[META_PACKET_OFFSET] = uint32_t(payloadOf(payload) - packets_.data());
    meta[META_PACKET_LENGTH] = length;
    meta[META_ORIGINAL_LENGTH] = u32(NFQA_CAP_LEN, length);
  } else {
    meta[META_PACKET_OFFSET] = uint32_t(slotBase - packets_.data());
  }
  const nlattr* hwAttribute = found[NFQA_HWADDR];
  if (hwAttribute && packetLength(hwAttribute) >= sizeof(nfqnl_msg_packet_hw)) {
    nfqnl_msg_packet_hw hw;
    memcpy(&hw, payloadOf(hwAttribute), sizeof hw);
    uint16_t length = ntohs(hw.hw_addrlen);
    if (length > 8) length = 8;
    meta[META_HWADDR_LENGTH] = length;
    uint8_t bytes[8] = {};
    memcpy(bytes, hw.hw_addr, length);
    meta[META_HWADDR_0_3] = uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 | uint32_t(bytes[2]) << 8 | bytes[3];
    meta[META_HWADDR_4_7] = uint32_t(bytes[4]) << 24 | uint32_t(bytes[5]) << 16 | uint32_t(bytes[6]) << 8 | bytes[7];
  }
  return true;
}

uint32_t NetlinkQueue::ReceiveBatch() {
  if (!socket_) return 0;
  int fd = mnl_socket_get_fd(socket_);
  uint32_t stored = 0;
  while (stored < options_.batchSize) {
    uint32_t wanted = options_.batchSize - stored;
    int received = recvmmsg(fd, &receiveHeaders_[stored], wanted, MSG_DONTWAIT, nullptr);
    if (received < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        counters_.enobufs++;
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) counters_.receiveErrors++;
      break;
    }
    if (received == 0) break;
    // Compact: keep only datagrams that are packets; a slot whose datagram is not a packet is
    // reused by shifting later ones down (rare: errors and acks only).
    uint32_t end = stored + uint32_t(received);
    uint32_t write = stored;
    for (uint32_t read = stored; read < end; read++) {
      const uint8_t* base = static_cast<const uint8_t*>(receiveVectors_[read].iov_base);
      const nlmsghdr* message = reinterpret_cast<const nlmsghdr*>(base);
      int length = int(receiveHeaders_[read].msg_len);
      bool isPacket = mnl_nlmsg_ok(message, length) && (message->nlmsg_type & 0xff) == NFQNL_MSG_PACKET;
      if (!isPacket) {
        counters_.skippedMessages++;
        continue;
      }
      if (write != read) {
        // Swap the iovec bases so the packet stays where it is and the free slot moves up.
        std::swap(receiveVectors_[write].iov_base, receiveVectors_[read].iov_base);
        base = static_cast<const uint8_t*>(receiveVectors_[write].iov_base);
        message = reinterpret_cast<const nlmsghdr*>(base);
      }
      if (StorePacket(message, write, base)) {
        verdicts_[size_t(write) * VERDICT_WORDS] = NF_ACCEPT;
        verdicts_[size_t(write) * VERDICT_WORDS + 1] = 0;
        write++;
      } else {
        counters_.skippedMessages++;
      }
    }
    stored = write;
    if (uint32_t(received) < wanted) break;
  }
  if (stored > 0) {
    counters_.packets += stored;
    counters_.batches++;
  }
  return stored;
}

void NetlinkQueue::SendVerdicts(uint32_t count) {
  if (!socket_ || count == 0) return;
  // Messages are laid out back to back in sendBuffer_ (sized for one per packet) and go out in
  // one sendto; no allocation on this path.
  char* out = reinterpret_cast<char*>(sendBuffer_.data());
  size_t used = 0;
  uint32_t i = 0;
  while (i < count) {
    uint32_t word = verdicts_[size_t(i) * VERDICT_WORDS];
    uint32_t mark = verdicts_[size_t(i) * VERDICT_WORDS + 1];
    // Coalesce a run of identical verdicts into one NFQNL_MSG_VERDICT_BATCH: the kernel applies
    // it to every queued id up to the run's last id, and earlier ids were already decided above.
    uint32_t last = i;
    while (last + 1 < count && verdicts_[size_t(last + 1) * VERDICT_WORDS] == word &&
           verdicts_[size_t(last + 1) * VERDICT_WORDS + 1] == mark) {
      last++;
    }
    uint32_t id = meta_[size_t(last) * META_WORDS + META_ID];
    int type = last > i ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT;
    nlmsghdr* message = nfq_nlmsg_put(out + used, type, options_.queue);
    nfq_nlmsg_verdict_put(message, int(id), int(word & VERDICT_CODE_MASK));
    if (word & VERDICT_FLAG_SET_MARK) nfq_nlmsg_verdict_put_mark(message, mark);
    used += NLMSG_ALIGN(message->nlmsg_len);
    counters_.verdictMessages++;
    counters_.verdicts += last - i + 1;
    i = last + 1;
  }
  if (mnl_socket_sendto(socket_, out, used) < 0) counters_.sendErrors++;
}

}  // namespace nfqb
