// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE  // recvmmsg, sendmmsg
// The benchmark's load: small UDP datagrams with sendmmsg, round-robin over DESTINATIONS addresses
// (so the kernel's queue balancing, which hashes the address pair, can use every worker).
//   udp-flood PREFIX(a.b.c) FIRST COUNT PORT SIZE SECONDS [PPS]   -> {"sent":N}
// Flat out it sends bursts of 64; paced (PPS) bursts of 8, so the load is smooth: a 64-packet burst
// takes the router ~300 us to forward, and whatever lands behind it waits that long.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST 64
#define PACED_BURST 8
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
  if (argc < 7) { fprintf(stderr, "usage: udp-flood PREFIX FIRST COUNT PORT SIZE SECONDS [PPS]\n"); return 2; }
  int first = atoi(argv[2]), count = atoi(argv[3]), port = atoi(argv[4]), size = atoi(argv[5]);
  double seconds = atof(argv[6]), pps = argc > 7 ? atof(argv[7]) : 0;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  struct sockaddr_in *to = calloc(count, sizeof *to);
  for (int i = 0; i < count; i++) {
    char ip[32];
    snprintf(ip, sizeof ip, "%s.%d", argv[1], first + i);
    to[i].sin_family = AF_INET;
    to[i].sin_port = htons(port);
    inet_pton(AF_INET, ip, &to[i].sin_addr);
  }
  char payload[1500] = {0};
  memset(payload, 'x', sizeof payload);
  struct mmsghdr msgs[BURST];
  struct iovec iov[BURST];
  unsigned long sent = 0;
  double start = now(), end = start + seconds;
  int next = 0;
  int burst = pps > 0 ? PACED_BURST : BURST;
  while (now() < end) {
    if (pps > 0 && sent > (now() - start) * pps) { usleep(50); continue; }
    for (int i = 0; i < burst; i++) {
      iov[i].iov_base = payload;
      iov[i].iov_len = size;
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_name = &to[next];
      msgs[i].msg_hdr.msg_namelen = sizeof to[next];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      next = (next + 1) % count;
    }
    int n = sendmmsg(fd, msgs, burst, 0);
    if (n > 0) sent += n;
  }
  printf("{\"sent\":%lu,\"seconds\":%.3f}\n", sent, now() - start);
  return 0;
}
