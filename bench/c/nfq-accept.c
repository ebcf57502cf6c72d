// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE  // recvmmsg, sendmmsg
// The benchmark's reference: a minimal C libnetfilter_queue consumer that accepts everything with
// batch verdicts (one NFQNL_MSG_VERDICT_BATCH per drained burst). Built by bench/run.ts.
//   nfq-accept QUEUE SECONDS  -> prints {"packets":N,"cpu_s":X,"user_s":U,"system_s":S}
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void send_cfg(struct mnl_socket *nl, struct nlmsghdr *nlh) {
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) { perror("config"); exit(1); }
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: nfq-accept QUEUE SECONDS\n"); return 2; }
  int queue = atoi(argv[1]);
  double seconds = atof(argv[2]);
  static char buf[0xffff + 4096];
  struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) { perror("netlink"); return 1; }
  int size = 8 << 20, on = 1;
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);
  struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
  nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
  send_cfg(nl, nlh);
  nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
  nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 2048);
  nfq_nlmsg_cfg_put_qmaxlen(nlh, 8192);
  mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
  mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
  send_cfg(nl, nlh);
  printf("{\"ready\":true}\n");
  fflush(stdout);
  unsigned long packets = 0;
  double end = now() + seconds;
  struct pollfd pfd = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
  while (now() < end) {
    if (poll(&pfd, 1, 100) <= 0) continue;
    uint32_t last_id = 0;
    int pending = 0;
    for (;;) {  // drain what is there, then one batch verdict for all of it
      ssize_t n = recv(pfd.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) break;
      struct nlmsghdr *msg = (struct nlmsghdr *)buf;
      struct nlattr *attr[NFQA_MAX + 1] = {0};
      if (nfq_nlmsg_parse(msg, attr) < 0 || !attr[NFQA_PACKET_HDR]) continue;
      struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
      last_id = ntohl(ph->packet_id);
      packets++;
      if (++pending == 256) break;
    }
    if (pending) {
      char out[MNL_SOCKET_BUFFER_SIZE];
      struct nlmsghdr *v = nfq_nlmsg_put(out, NFQNL_MSG_VERDICT_BATCH, queue);
      nfq_nlmsg_verdict_put(v, last_id, NF_ACCEPT);
      mnl_socket_sendto(nl, v, v->nlmsg_len);
    }
  }
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  double user = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6;
  double system = usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
  printf("{\"packets\":%lu,\"cpu_s\":%.3f,\"user_s\":%.3f,\"system_s\":%.3f}\n", packets, user + system, user, system);
  mnl_socket_close(nl);
  return 0;
}
