/*
 * udp_loadgen: the client side of the UDP benchmark.
 *
 *   udp_loadgen echo HOST PORT [SIZE] [WINDOW] [DURATION] [--warmup=S] [--spin]
 *   udp_loadgen sink [--timeout=S]
 *
 * Echo mode (windowed ping-pong): one UDP socket connected to HOST:PORT
 * keeps WINDOW datagrams (32 by default) of SIZE bytes (1024 by default) in
 * flight: it sends WINDOW numbered datagrams, and for each echo that comes
 * back (every byte checked against what was sent) it sends the next one.
 * A window of datagrams in flight, rather than a blast, keeps loopback from
 * dropping them. A datagram that has not come back after 200 ms counts as
 * lost and is replaced, so that a drop does not stall the run. DURATION is
 * in seconds (3 by default); the first --warmup seconds (0 by default) are
 * not counted. --spin polls without sleeping (a CPU of its own: an idle
 * vCPU halts, and waking it costs a VM exit per datagram).
 *
 * Sink mode (for the sendfile benchmark): listens on 127.0.0.1 (a free
 * port, printed as `LISTENING <port>`), accepts one TCP connection, reads
 * until EOF in 1 MiB reads, then prints the count and the time from the
 * first byte to EOF, and exits.
 *
 * Prints one JSON object. Only talks to 127.0.0.0/8. Exits 0 on success,
 * 1 on any error or mismatch (with a message on stderr), 2 on bad usage.
 *
 * Build: cc -O2 -o bench/out/udp_loadgen bench/udp/loadgen.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_WINDOW 4096
#define MAX_SIZE 65507
#define LOST_AFTER_NS 200000000LL

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "udp_loadgen: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static void usage(void) {
  fprintf(stderr,
          "usage: udp_loadgen echo HOST PORT [SIZE] [WINDOW] [DURATION] [--warmup=S] [--spin]\n"
          "       udp_loadgen sink [--timeout=S]\n");
  exit(2);
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

/* The payload of datagram `seq`: the sequence number, then bytes derived from it. */
static void fill(unsigned char *buf, size_t size, uint32_t seq) {
  uint32_t be = htonl(seq);
  memcpy(buf, &be, 4);
  for (size_t i = 4; i < size; i++) buf[i] = (unsigned char)(seq * 131 + i);
}

static int check(const unsigned char *buf, size_t n, size_t size, uint32_t *seq) {
  if (n != size) return 0;
  uint32_t be;
  memcpy(&be, buf, 4);
  *seq = ntohl(be);
  for (size_t i = 4; i < size; i++) {
    if (buf[i] != (unsigned char)(*seq * 131 + i)) return 0;
  }
  return 1;
}

static int loopback(const char *host) { return strncmp(host, "127.", 4) == 0; }

static int echo_mode(int argc, char **argv) {
  if (argc < 4) usage();
  const char *host = argv[2];
  int port = atoi(argv[3]);
  size_t size = 1024;
  int window = 32;
  double duration = 3, warmup = 0;
  int spin = 0, positional = 0;
  for (int i = 4; i < argc; i++) {
    if (strncmp(argv[i], "--warmup=", 9) == 0) warmup = atof(argv[i] + 9);
    else if (strcmp(argv[i], "--spin") == 0) spin = 1;
    else if (positional == 0) size = (size_t)atol(argv[i]), positional++;
    else if (positional == 1) window = atoi(argv[i]), positional++;
    else if (positional == 2) duration = atof(argv[i]), positional++;
    else usage();
  }
  if (!loopback(host) || port <= 0 || port > 65535) usage();
  if (size < 4 || size > MAX_SIZE || window < 1 || window > MAX_WINDOW || duration <= 0) usage();
  alarm((unsigned)(duration + warmup + 60));

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) die("bad host %s", host);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect: %s", strerror(errno));

  static unsigned char out[MAX_SIZE], in[MAX_SIZE + 1];
  /* When each datagram in flight was sent (0: not in flight). */
  static long long sent_at[MAX_WINDOW];
  static uint32_t slot_seq[MAX_WINDOW];
  uint32_t next_seq = 0;
  long long start = now_ns();
  long long warm_end = start + (long long)(warmup * 1e9);
  long long end = warm_end + (long long)(duration * 1e9);
  long long counted = 0, lost = 0, errors = 0;
  double cpu_at_warm = -1;
  long long counted_since = -1;

  for (int slot = 0; slot < window; slot++) {
    slot_seq[slot] = next_seq;
    fill(out, size, next_seq++);
    if (send(fd, out, size, 0) < 0) die("send: %s", strerror(errno));
    sent_at[slot] = now_ns();
  }
  long long last_sweep = now_ns();
  for (;;) {
    long long t = now_ns();
    if (counted_since < 0 && t >= warm_end) {
      counted_since = t;
      cpu_at_warm = cpu_seconds();
      counted = 0;
      lost = 0;
    }
    if (t >= end) break;
    ssize_t n = recv(fd, in, sizeof in, spin ? MSG_DONTWAIT : 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!spin) {
          struct pollfd p = {fd, POLLIN, 0};
          poll(&p, 1, 50);
        }
      } else if (errno != EINTR) {
        if (errno == ECONNREFUSED) die("recv: %s (no server?)", strerror(errno));
        errors++;
      }
    } else {
      uint32_t seq;
      if (!check(in, (size_t)n, size, &seq)) die("mismatch: a datagram of %zd bytes is not one sent", n);
      int slot = seq % window;
      if (sent_at[slot] != 0 && slot_seq[slot] == seq) {
        counted++;
        /* The slot's next datagram: seq + window keeps seq % window == slot. */
        slot_seq[slot] = seq + window;
        fill(out, size, seq + window);
        if (send(fd, out, size, 0) < 0 && errno != EAGAIN) die("send: %s", strerror(errno));
        sent_at[slot] = now_ns();
      }
    }
    if (t - last_sweep > LOST_AFTER_NS / 4) {
      last_sweep = t;
      for (int slot = 0; slot < window; slot++) {
        if (sent_at[slot] != 0 && t - sent_at[slot] > LOST_AFTER_NS) {
          lost++;
          slot_seq[slot] += window;
          fill(out, size, slot_seq[slot]);
          if (send(fd, out, size, 0) < 0 && errno != EAGAIN) die("send: %s", strerror(errno));
          sent_at[slot] = now_ns();
        }
      }
    }
  }
  double seconds = (now_ns() - counted_since) / 1e9;
  double cpu = cpu_seconds() - cpu_at_warm;
  printf("{\"mode\":\"echo\",\"size\":%zu,\"window\":%d,\"requests\":%lld,\"seconds\":%.6f,"
         "\"rps\":%.1f,\"lost\":%lld,\"errors\":%lld,\"cpu_s\":%.3f}\n",
         size, window, counted, seconds, counted / seconds, lost, errors, cpu);
  close(fd);
  return 0;
}

static int sink_mode(int argc, char **argv) {
  double timeout = 120;
  for (int i = 2; i < argc; i++) {
    if (strncmp(argv[i], "--timeout=", 10) == 0) timeout = atof(argv[i] + 10);
    else usage();
  }
  alarm((unsigned)timeout);
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) die("socket: %s", strerror(errno));
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind: %s", strerror(errno));
  if (listen(lfd, 1) < 0) die("listen: %s", strerror(errno));
  socklen_t len = sizeof addr;
  getsockname(lfd, (struct sockaddr *)&addr, &len);
  printf("LISTENING %d\n", ntohs(addr.sin_port));
  fflush(stdout);
  int fd = accept(lfd, NULL, NULL);
  if (fd < 0) die("accept: %s", strerror(errno));
  static unsigned char buf[1 << 20];
  long long total = 0, first = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("read: %s", strerror(errno));
    }
    if (n == 0) break;
    if (first == 0) first = now_ns();
    total += n;
  }
  double seconds = first ? (now_ns() - first) / 1e9 : 0;
  printf("{\"mode\":\"sink\",\"bytes\":%lld,\"seconds\":%.6f,\"mib_per_s\":%.1f,\"cpu_s\":%.3f}\n",
         total, seconds, seconds > 0 ? total / 1048576.0 / seconds : 0, cpu_seconds());
  close(fd);
  close(lfd);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) usage();
  if (strcmp(argv[1], "echo") == 0) return echo_mode(argc, argv);
  if (strcmp(argv[1], "sink") == 0) return sink_mode(argc, argv);
  usage();
  return 2;
}
