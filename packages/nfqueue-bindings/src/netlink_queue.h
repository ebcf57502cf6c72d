// SPDX-License-Identifier: GPL-2.0-or-later
// NetlinkQueue: one NFQUEUE queue over libmnl + libnetfilter_queue's nlmsg helpers.
// Plain C++, no N-API: receives packets in batches into caller-visible memory and sends
// the batch's verdicts back in one sendmsg. One instance per thread; nothing static.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <sys/uio.h>

struct mnl_socket;
struct nlmsghdr;

namespace nfqb {

// Words per packet in the metadata table. Keep in sync with lib/layout.ts.
enum MetaField : uint32_t {
  META_ID = 0,
  META_HOOK,
  META_HW_PROTOCOL,
  META_MARK,
  META_INDEV,
  META_OUTDEV,
  META_PACKET_OFFSET,
  META_PACKET_LENGTH,
  META_ORIGINAL_LENGTH,
  META_SKB_INFO,
  META_HWADDR_LENGTH,
  META_HWADDR_0_3,
  META_HWADDR_4_7,
  META_PHYSINDEV,
  META_RESERVED_0,
  META_RESERVED_1,
  META_WORDS
};

// Words per packet in the verdict table: [verdict | flags, mark].
constexpr uint32_t VERDICT_WORDS = 2;
constexpr uint32_t VERDICT_FLAG_SET_MARK = 0x80000000u;
constexpr uint32_t VERDICT_CODE_MASK = 0x0000ffffu;

struct QueueOptions {
  uint16_t queue = 0;
  uint32_t copyRange = 4096;
  uint32_t maxLength = 4096;
  uint32_t receiveBufferBytes = 8 * 1024 * 1024;
  uint32_t batchSize = 256;
  bool failOpen = true;
  bool gso = true;
};

struct QueueCounters {
  uint64_t packets = 0;       // packets handed to JS
  uint64_t batches = 0;       // callbacks made
  uint64_t verdicts = 0;      // verdicts sent (per packet)
  uint64_t verdictMessages = 0;  // netlink messages that carried them (batch verdicts coalesce)
  uint64_t enobufs = 0;       // receive overruns reported by the kernel
  uint64_t receiveErrors = 0; // other recv errors
  uint64_t sendErrors = 0;    // failed verdict sends
  uint64_t skippedMessages = 0;  // non-packet netlink messages seen while reading
};

class NetlinkQueue {
 public:
  explicit NetlinkQueue(const QueueOptions& options);
  ~NetlinkQueue();
  NetlinkQueue(const NetlinkQueue&) = delete;
  NetlinkQueue& operator=(const NetlinkQueue&) = delete;

  // Opens the socket, binds the queue and applies the options. Returns "" or an error text.
  std::string Open();
  void Close();
  bool IsOpen() const { return socket_ != nullptr; }
  int Fd() const;

  // Reads up to batchSize packets without blocking. Returns how many were stored, 0 when
  // nothing is pending. Verdict slots of the stored packets are prefilled with ACCEPT.
  uint32_t ReceiveBatch();
  // Sends the verdicts of the first `count` packets of the last batch, in order.
  void SendVerdicts(uint32_t count);

  uint8_t* Packets() { return packets_.data(); }
  size_t PacketsBytes() const { return packets_.size(); }
  uint32_t* Meta() { return meta_.data(); }
  size_t MetaWords() const { return meta_.size(); }
  uint32_t* Verdicts() { return verdicts_.data(); }
  size_t VerdictWords() const { return verdicts_.size(); }
  const QueueOptions& Options() const { return options_; }
  const QueueCounters& Counters() const { return counters_; }

 private:
  std::string Configure();
  std::string SendConfigAndWaitAck(nlmsghdr* message);
  bool StorePacket(const nlmsghdr* message, uint32_t slot, const uint8_t* slotBase);
  void AcceptStrayPacket(const nlmsghdr* message);

  QueueOptions options_;
  mnl_socket* socket_ = nullptr;
  unsigned int portId_ = 0;
  uint32_t sequence_ = 0;
  size_t slotBytes_ = 0;
  std::vector<uint8_t> packets_;
  std::vector<uint32_t> meta_;
  std::vector<uint32_t> verdicts_;
  std::vector<uint8_t> sendBuffer_;
  std::vector<uint8_t> controlBuffer_;
  std::vector<mmsghdr> receiveHeaders_;
  std::vector<iovec> receiveVectors_;
  QueueCounters counters_;
};

}  // namespace nfqb
