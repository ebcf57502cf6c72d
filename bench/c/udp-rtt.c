// SPDX-License-Identifier: GPL-2.0-or-later
// The benchmark's latency probe, in C so that the measuring ends add as little noise as possible.
//   udp-rtt echo IP PORT                 -> prints {"ready":true}, then echoes every datagram
//   udp-rtt client IP PORT COUNT         -> COUNT sequential 64-byte round trips (200 ms timeout
//                                           each), prints {"p50":..,"p99":..,"p999":..,"lost":N} in us
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: udp-rtt echo IP PORT | udp-rtt client IP PORT COUNT\n"); return 2; }
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
  if (inet_pton(AF_INET, argv[2], &address.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", argv[2]); return 2; }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  char buffer[2048];
  if (strcmp(argv[1], "echo") == 0) {
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) { perror("bind"); return 1; }
    printf("{\"ready\":true}\n");
    fflush(stdout);
    for (;;) {
      struct sockaddr_in from;
      socklen_t length = sizeof from;
      ssize_t n = recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &length);
      if (n >= 0) sendto(fd, buffer, n, 0, (struct sockaddr *)&from, length);
    }
  }
  int count = argc > 4 ? atoi(argv[4]) : 1000;
  struct timeval timeout = { .tv_sec = 0, .tv_usec = 200000 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) { perror("connect"); return 1; }
  double *samples = calloc(count, sizeof *samples);
  int answered = 0, lost = 0;
  memset(buffer, 'r', 64);
  for (int i = 0; i < count; i++) {
    double started = now_us();
    if (send(fd, buffer, 64, 0) < 0) { lost++; continue; }
    if (recv(fd, buffer, sizeof buffer, 0) < 0) { lost++; continue; }
    samples[answered++] = now_us() - started;
  }
  if (answered == 0) { printf("{\"p50\":0,\"p99\":0,\"p999\":0,\"lost\":%d}\n", lost); return 1; }
  qsort(samples, answered, sizeof *samples, compare);
  printf("{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"lost\":%d}\n", samples[answered / 2], samples[(int)(answered * 0.99)],
         samples[(int)(answered * 0.999)], lost);
  return 0;
}
