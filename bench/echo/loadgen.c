/*
 * loadgen: a small epoll TCP load generator for the echo benchmark.
 *
 *   loadgen HOST PORT [CLIENTS] [SIZE] [DURATION] [--warmup=S] [--timeout=S]
 *   loadgen HOST PORT --sink=BYTES [--chunk=BYTES] [--timeout=S]
 *
 * Echo mode (ping-pong): CLIENTS connections (10 by default); each sends a
 * message of SIZE bytes (1024 by default), waits until it has read back
 * exactly SIZE bytes, compares every byte with what it sent, and repeats.
 * DURATION is in seconds (3 by default), or a number of round trips per
 * client with an "r" suffix ("1000r"). The first --warmup seconds (0 by
 * default) are not counted. When the time is up no new message is sent; the
 * messages in flight are read back (and checked) before the connections
 * close, so the server sees a clean EOF.
 *
 * Sink mode (bulk): one connection writes BYTES bytes, then shuts down its
 * write side; the server reads and counts, and at EOF answers the count in
 * decimal and closes. The time runs from the connection to the answer; the
 * answer must equal BYTES.
 *
 * Prints one JSON object: {mode, clients, size, requests, bytes, seconds,
 * rps, mbps, mib_per_s, cpu_s}; `bytes` is the payload sent in one
 * direction, `mbps` is that payload in megabits per second, and `cpu_s` is
 * the CPU time (user + system) of the whole load generator process.
 *
 * Only talks to 127.0.0.0/8. Bounded in time: a connection that makes no
 * progress for --timeout seconds (10) is an error, and an alarm ends the
 * process after the expected run time plus a minute. Exits 0 on success,
 * 1 on any error or mismatch (with a message on stderr), 2 on bad usage.
 *
 * Build: cc -O2 -o bench/out/loadgen bench/echo/loadgen.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 1024
#define PATTERN_SPAN 256
#define MAX_EVENTS 64

/* --spin: poll epoll without sleeping, so that the load generator's CPU
 * never idles (in a VM an idle vCPU halts, and waking it costs a VM exit). */
static int g_spin = 0;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("loadgen: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void usage(void) {
  fputs("usage: loadgen HOST PORT [CLIENTS=10] [SIZE=1024] [DURATION=3 | ROUNDSr]"
        " [--warmup=S] [--timeout=S] [--spin]\n"
        "       loadgen HOST PORT --sink=BYTES [--chunk=BYTES] [--timeout=S] [--spin]\n",
        stderr);
  exit(2);
}

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "loadgen: time limit exceeded\n";
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
  _exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double parse_number(const char *text, const char *what) {
  char *end = NULL;
  errno = 0;
  double value = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(value >= 0)) {
    fprintf(stderr, "loadgen: bad %s: %s\n", what, text);
    usage();
  }
  return value;
}

static int connect_to(const struct sockaddr_in *addr, double timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  struct timeval tv = {(time_t)timeout, (suseconds_t)((timeout - (time_t)timeout) * 1e6)};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0) {
    die("connect to 127.x:%d: %s", ntohs(addr->sin_port), strerror(errno));
  }
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) {
    die("TCP_NODELAY: %s", strerror(errno));
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    die("O_NONBLOCK: %s", strerror(errno));
  }
  return fd;
}

static void epoll_set(int ep, int op, int fd, uint32_t events, void *ptr) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.ptr = ptr;
  if (epoll_ctl(ep, op, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
}

/* The pattern: message r of a connection is pattern + (r % PATTERN_SPAN),
 * so that consecutive messages differ at every offset. */
static unsigned char *make_pattern(size_t size) {
  unsigned char *p = malloc(size + PATTERN_SPAN);
  if (p == NULL) die("out of memory");
  for (size_t i = 0; i < size + PATTERN_SPAN; i++) {
    p[i] = (unsigned char)((i * 7u) ^ (i >> 8) ^ (i >> 16));
  }
  return p;
}

static void print_result(const char *mode, int clients, size_t size, uint64_t requests,
                         uint64_t bytes, double seconds) {
  if (!(seconds > 0)) seconds = 1e-9;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
  printf("{\"mode\":\"%s\",\"clients\":%d,\"size\":%zu,\"requests\":%llu,\"bytes\":%llu,"
         "\"seconds\":%.6f,\"rps\":%.1f,\"mbps\":%.1f,\"mib_per_s\":%.1f,\"cpu_s\":%.3f}\n",
         mode, clients, size, (unsigned long long)requests, (unsigned long long)bytes, seconds,
         (double)requests / seconds, (double)bytes * 8 / seconds / 1e6,
         (double)bytes / seconds / (1024.0 * 1024.0), cpu);
  fflush(stdout);
}

/* ---- echo mode --------------------------------------------------------------- */

struct client {
  int fd;
  int index;
  uint64_t round;    /* which message is in flight */
  size_t sent;       /* bytes of it written */
  size_t received;   /* bytes of it read back */
  int in_flight;     /* a message is being sent or read back */
  int want_out;      /* EPOLLOUT is registered */
  uint64_t counted;  /* round trips counted (in the timed phase) */
  unsigned char *rbuf;
};

static size_t g_size;
static unsigned char *g_pattern;
static int g_ep;

static const unsigned char *message_of(const struct client *c) {
  return g_pattern + (c->round % PATTERN_SPAN);
}

static void set_out(struct client *c, int want) {
  if (c->want_out == want) return;
  c->want_out = want;
  epoll_set(g_ep, EPOLL_CTL_MOD, c->fd, EPOLLIN | (want ? EPOLLOUT : 0), c);
}

/* Writes what it can of the message in flight; returns whether it progressed. */
static int pump_write(struct client *c) {
  int progressed = 0;
  const unsigned char *msg = message_of(c);
  while (c->sent < g_size) {
    ssize_t n = send(c->fd, msg + c->sent, g_size - c->sent, MSG_NOSIGNAL);
    if (n > 0) {
      c->sent += (size_t)n;
      progressed = 1;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    die("client %d: send: %s", c->index, n < 0 ? strerror(errno) : "wrote 0 bytes");
  }
  set_out(c, c->sent < g_size);
  return progressed;
}

static void start_message(struct client *c) {
  c->sent = 0;
  c->received = 0;
  c->in_flight = 1;
  pump_write(c);
}

/* Reads what is there; returns 1 when the message came back whole, -1 when
 * nothing could be read, 0 otherwise. */
static int pump_read(struct client *c) {
  int progressed = 0;
  for (;;) {
    /* One byte more than expected, to catch a server that sends too much. */
    size_t room = g_size - c->received + 1;
    ssize_t n = recv(c->fd, c->rbuf + c->received, room, 0);
    if (n > 0) {
      progressed = 1;
      if (!c->in_flight || c->received + (size_t)n > c->sent) {
        die("client %d: received more bytes than were sent (round %llu)", c->index,
            (unsigned long long)c->round);
      }
      c->received += (size_t)n;
      if (c->received == g_size) {
        const unsigned char *msg = message_of(c);
        if (c->rbuf[0] != msg[0] || c->rbuf[g_size - 1] != msg[g_size - 1] ||
            memcmp(c->rbuf, msg, g_size) != 0) {
          size_t at = 0;
          while (at < g_size && c->rbuf[at] == msg[at]) at++;
          die("client %d: echo mismatch in round %llu at byte %zu of %zu (got %u, want %u)",
              c->index, (unsigned long long)c->round, at, g_size, c->rbuf[at], msg[at]);
        }
        c->in_flight = 0;
        return 1;
      }
      continue;
    }
    if (n == 0) {
      die("client %d: the server closed the connection (round %llu, %zu of %zu bytes back)",
          c->index, (unsigned long long)c->round, c->received, g_size);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return progressed ? 0 : -1;
    die("client %d: recv: %s", c->index, strerror(errno));
  }
}

static int run_echo(const struct sockaddr_in *addr, int nclients, size_t size, double duration,
                    uint64_t rounds, double warmup, double timeout) {
  g_size = size;
  g_pattern = make_pattern(size);
  g_ep = epoll_create1(EPOLL_CLOEXEC);
  if (g_ep < 0) die("epoll_create1: %s", strerror(errno));
  struct client *clients = calloc((size_t)nclients, sizeof *clients);
  if (clients == NULL) die("out of memory");
  for (int i = 0; i < nclients; i++) {
    struct client *c = &clients[i];
    c->index = i;
    c->fd = connect_to(addr, timeout);
    c->rbuf = malloc(size + 1);
    if (c->rbuf == NULL) die("out of memory");
    c->round = (uint64_t)i * 37; /* connections send different bytes */
    epoll_set(g_ep, EPOLL_CTL_ADD, c->fd, EPOLLIN, c);
  }

  double start = now_s();
  double t0 = start + warmup;     /* the timed phase starts */
  double t_end = t0 + duration;   /* and ends (duration mode) */
  double t1 = 0;                  /* when it ended */
  int timed = warmup <= 0;
  int stopping = 0;               /* no new message is sent */
  uint64_t requests = 0;
  int finished = 0;               /* clients done with their rounds */
  double last_progress = start;
  if (timed) t0 = start;

  for (int i = 0; i < nclients; i++) start_message(&clients[i]);

  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int in_flight = 0;
    for (int i = 0; i < nclients; i++) in_flight += clients[i].in_flight;
    if (stopping && in_flight == 0) break;

    int n = epoll_wait(g_ep, events, MAX_EVENTS, g_spin ? 0 : 50);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait: %s", strerror(errno));
    }
    double now = now_s();
    if (!timed && now >= t0) {
      timed = 1;
      t0 = now;
      t_end = t0 + duration;
    }
    if (timed && !stopping && rounds == 0 && now >= t_end) {
      stopping = 1;
      t1 = now;
    }
    for (int k = 0; k < n; k++) {
      struct client *c = events[k].data.ptr;
      uint32_t ev = events[k].events;
      if (ev & EPOLLERR) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        die("client %d: socket error: %s", c->index, strerror(err));
      }
      if ((ev & EPOLLOUT) && c->in_flight && c->sent < size) {
        if (pump_write(c)) last_progress = now;
      }
      if (ev & (EPOLLIN | EPOLLHUP)) {
        int r = pump_read(c);
        if (r >= 0) last_progress = now;
        if (r == 1) {
          if (timed && !stopping) {
            requests++;
            c->counted++;
            if (rounds > 0 && c->counted == rounds) {
              finished++;
              if (finished == nclients) {
                stopping = 1;
                t1 = now_s();
              }
              continue;
            }
          }
          if (!stopping) {
            c->round++;
            start_message(c);
          }
        }
      }
    }
    if (now - last_progress > timeout) {
      die("no progress for %.1f s (%d messages in flight)", timeout, in_flight);
    }
  }
  for (int i = 0; i < nclients; i++) {
    close(clients[i].fd);
    free(clients[i].rbuf);
  }
  close(g_ep);
  print_result("echo", nclients, size, requests, requests * (uint64_t)size, t1 - t0);
  free(clients);
  free(g_pattern);
  return 0;
}

/* ---- sink mode --------------------------------------------------------------- */

static int run_sink(const struct sockaddr_in *addr, uint64_t total, size_t chunk,
                    double timeout) {
  unsigned char *pattern = make_pattern(chunk);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1: %s", strerror(errno));
  double t0 = now_s();
  int fd = connect_to(addr, timeout);
  int marker = 0;
  epoll_set(ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLOUT, &marker);
  uint64_t sent = 0;
  uint64_t round = 0;
  size_t offset = 0; /* into the current chunk */
  char reply[64];
  size_t reply_len = 0;
  int shut = 0;
  double last_progress = t0;
  struct epoll_event events[4];
  for (;;) {
    int n = epoll_wait(ep, events, 4, g_spin ? 0 : 50);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait: %s", strerror(errno));
    }
    double now = now_s();
    int done = 0;
    for (int k = 0; k < n; k++) {
      uint32_t ev = events[k].events;
      if (ev & EPOLLERR) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        die("sink: socket error: %s", strerror(err));
      }
      if ((ev & EPOLLOUT) && !shut) {
        while (sent < total) {
          const unsigned char *buf = pattern + (round % PATTERN_SPAN);
          size_t want = chunk - offset;
          if ((uint64_t)want > total - sent) want = (size_t)(total - sent);
          ssize_t w = send(fd, buf + offset, want, MSG_NOSIGNAL);
          if (w > 0) {
            sent += (uint64_t)w;
            offset += (size_t)w;
            if (offset == chunk) {
              offset = 0;
              round++;
            }
            last_progress = now;
            continue;
          }
          if (w < 0 && errno == EINTR) continue;
          if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
          die("sink: send: %s", w < 0 ? strerror(errno) : "wrote 0 bytes");
        }
        if (sent == total) {
          if (shutdown(fd, SHUT_WR) < 0) die("sink: shutdown: %s", strerror(errno));
          shut = 1;
          epoll_set(ep, EPOLL_CTL_MOD, fd, EPOLLIN, &marker);
        }
      }
      if (ev & (EPOLLIN | EPOLLHUP)) {
        for (;;) {
          ssize_t r = recv(fd, reply + reply_len, sizeof reply - 1 - reply_len, 0);
          if (r > 0) {
            if (!shut) die("sink: the server answered before the end of the data");
            reply_len += (size_t)r;
            last_progress = now;
            if (reply_len >= sizeof reply - 1) die("sink: the answer is too long");
            continue;
          }
          if (r == 0) {
            if (!shut) {
              die("sink: the server closed the connection after %llu of %llu bytes",
                  (unsigned long long)sent, (unsigned long long)total);
            }
            done = 1;
            break;
          }
          if (errno == EINTR) continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          die("sink: recv: %s", strerror(errno));
        }
      }
    }
    if (done) break;
    if (now - last_progress > timeout) {
      die("sink: no progress for %.1f s (%llu of %llu bytes sent)", timeout,
          (unsigned long long)sent, (unsigned long long)total);
    }
  }
  double t1 = now_s();
  reply[reply_len] = '\0';
  char *end = NULL;
  unsigned long long counted = strtoull(reply, &end, 10);
  while (end != NULL && (*end == '\n' || *end == '\r' || *end == ' ')) end++;
  if (reply_len == 0 || end == reply || (end != NULL && *end != '\0')) {
    die("sink: the server's answer is not a count: \"%s\"", reply);
  }
  if (counted != total) {
    die("sink: the server counted %llu bytes, %llu were sent", counted,
        (unsigned long long)total);
  }
  close(fd);
  close(ep);
  free(pattern);
  print_result("sink", 1, chunk, 1, total, t1 - t0);
  return 0;
}

int main(int argc, char **argv) {
  const char *positional[5] = {0};
  int npos = 0;
  double warmup = 0, timeout = 10;
  double sink = -1;
  double chunk = 256 * 1024;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--warmup=", 9) == 0) warmup = parse_number(a + 9, "--warmup");
    else if (strncmp(a, "--timeout=", 10) == 0) timeout = parse_number(a + 10, "--timeout");
    else if (strncmp(a, "--sink=", 7) == 0) sink = parse_number(a + 7, "--sink");
    else if (strncmp(a, "--chunk=", 8) == 0) chunk = parse_number(a + 8, "--chunk");
    else if (strcmp(a, "--spin") == 0) g_spin = 1;
    else if (strncmp(a, "--", 2) == 0) usage();
    else if (npos < 5) positional[npos++] = a;
    else usage();
  }
  if (npos < 2) usage();

  const char *host = positional[0];
  if (strcmp(host, "localhost") == 0) host = "127.0.0.1";
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "loadgen: HOST must be an IPv4 loopback address: %s\n", host);
    return 2;
  }
  if ((ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
    fprintf(stderr, "loadgen: refusing to talk to %s: only 127.0.0.0/8 is allowed\n", host);
    return 2;
  }
  double port = parse_number(positional[1], "PORT");
  if (port < 1 || port > 65535 || port != (int)port) usage();
  addr.sin_port = htons((uint16_t)port);
  if (!(timeout > 0)) usage();

  signal(SIGPIPE, SIG_IGN);
  signal(SIGALRM, on_alarm);

  if (sink >= 0) {
    if (npos > 2) usage();
    if (!(sink >= 1) || !(chunk >= 1) || chunk > 64 * 1024 * 1024) usage();
    /* At ~10 MiB/s (a very slow peer) a GiB takes 100 s. */
    alarm((unsigned)(60 + sink / (10.0 * 1024 * 1024)));
    return run_sink(&addr, (uint64_t)sink, (size_t)chunk, timeout);
  }

  int nclients = npos > 2 ? (int)parse_number(positional[2], "CLIENTS") : 10;
  double size = npos > 3 ? parse_number(positional[3], "SIZE") : 1024;
  const char *dur = npos > 4 ? positional[4] : "3";
  if (nclients < 1 || nclients > MAX_CLIENTS) usage();
  if (!(size >= 1) || size > 64 * 1024 * 1024 || size != (size_t)size) usage();
  double duration = 0;
  uint64_t rounds = 0;
  size_t dlen = strlen(dur);
  if (dlen > 1 && dur[dlen - 1] == 'r') {
    char buf[32];
    if (dlen >= sizeof buf) usage();
    memcpy(buf, dur, dlen - 1);
    buf[dlen - 1] = '\0';
    double r = parse_number(buf, "ROUNDS");
    if (!(r >= 1) || r != (uint64_t)r) usage();
    rounds = (uint64_t)r;
    alarm((unsigned)(60 + warmup + (double)rounds * 0.01));
  } else {
    duration = parse_number(dur, "DURATION");
    if (!(duration > 0) || duration > 3600) usage();
    alarm((unsigned)(60 + warmup + duration));
  }
  return run_echo(&addr, nclients, (size_t)size, duration, rounds, warmup, timeout);
}
