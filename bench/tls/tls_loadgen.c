/*
 * tls_loadgen: the TLS echo benchmark's client (OpenSSL, one thread per
 * connection, blocking sockets).
 *
 *   tls_loadgen HOST PORT [CLIENTS] [SIZE] [DURATION] [--warmup=S] [--timeout=S]
 *
 * CLIENTS connections (10 by default) each complete a TLS handshake (no
 * certificate verification: the benchmark measures the data path), then
 * send a message of SIZE bytes (1024 by default), read back exactly SIZE
 * bytes, compare every byte with what was sent, and repeat, for DURATION
 * seconds (3 by default); the first --warmup seconds (0 by default) are not
 * counted. At the end each connection sends close_notify and shuts down.
 *
 * Prints one JSON object: {clients, size, requests, bytes, seconds, rps,
 * mib_per_s, handshake_seconds, total_requests}; `total_requests` counts the
 * warm-up's round trips too (for the server's CPU time per round trip). Only talks to 127.0.0.0/8. A connection
 * that makes no progress for --timeout seconds (10) is an error. Exits 0 on
 * success, 1 on any error or mismatch (message on stderr), 2 on bad usage.
 *
 * Build: cc -O2 -pthread -o bench/out/tls_loadgen bench/tls/tls_loadgen.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 256

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "tls_loadgen: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  ERR_print_errors_fp(stderr);
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in g_addr;
static SSL_CTX *g_ctx;
static size_t g_size = 1024;
static int g_timeout = 10;
static atomic_int g_phase = 0; /* 0 warm-up, 1 counting, 2 stop */
static atomic_int g_ready = 0;

struct client {
  pthread_t thread;
  long long requests; /* counted round trips */
  long long total;    /* every round trip, warm-up included */
};

static void read_exactly(SSL *ssl, unsigned char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    int r = SSL_read(ssl, buf + got, (int)(n - got));
    if (r <= 0) die("SSL_read failed (%d) after %zu of %zu bytes", SSL_get_error(ssl, r), got, n);
    got += (size_t)r;
  }
}

static void *run_client(void *arg) {
  struct client *c = arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  struct timeval tv = {g_timeout, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr) != 0) {
    die("connect: %s", strerror(errno));
  }
  SSL *ssl = SSL_new(g_ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "localhost");
  if (SSL_connect(ssl) != 1) die("SSL_connect failed");
  atomic_fetch_add(&g_ready, 1);
  unsigned char *out = malloc(g_size), *in = malloc(g_size);
  unsigned seed = (unsigned)(uintptr_t)c;
  for (size_t i = 0; i < g_size; i++) out[i] = (unsigned char)rand_r(&seed);
  long long counted = 0, total = 0;
  for (;;) {
    int phase = atomic_load(&g_phase);
    if (phase == 2) break;
    out[0]++;
    size_t sent = 0;
    while (sent < g_size) {
      int w = SSL_write(ssl, out + sent, (int)(g_size - sent));
      if (w <= 0) die("SSL_write failed (%d)", SSL_get_error(ssl, w));
      sent += (size_t)w;
    }
    read_exactly(ssl, in, g_size);
    if (memcmp(in, out, g_size) != 0) die("echo mismatch");
    total++;
    if (phase == 1) counted++;
  }
  c->requests = counted;
  c->total = total;
  SSL_shutdown(ssl);
  SSL_free(ssl);
  close(fd);
  free(out);
  free(in);
  return NULL;
}

int main(int argc, char **argv) {
  const char *positional[5] = {0};
  int npos = 0;
  double warmup = 0;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--warmup=", 9) == 0) warmup = atof(argv[i] + 9);
    else if (strncmp(argv[i], "--timeout=", 10) == 0) g_timeout = atoi(argv[i] + 10);
    else if (npos < 5) positional[npos++] = argv[i];
    else {
      fprintf(stderr, "usage: tls_loadgen HOST PORT [CLIENTS] [SIZE] [DURATION] [--warmup=S]\n");
      return 2;
    }
  }
  if (npos < 2) {
    fprintf(stderr, "usage: tls_loadgen HOST PORT [CLIENTS] [SIZE] [DURATION] [--warmup=S]\n");
    return 2;
  }
  int clients = npos > 2 ? atoi(positional[2]) : 10;
  if (npos > 3) g_size = (size_t)atol(positional[3]);
  double duration = npos > 4 ? atof(positional[4]) : 3;
  if (clients < 1 || clients > MAX_CLIENTS || g_size < 1 || duration <= 0) {
    fprintf(stderr, "tls_loadgen: bad CLIENTS, SIZE or DURATION\n");
    return 2;
  }
  memset(&g_addr, 0, sizeof g_addr);
  g_addr.sin_family = AF_INET;
  g_addr.sin_port = htons((uint16_t)atoi(positional[1]));
  if (inet_pton(AF_INET, positional[0], &g_addr.sin_addr) != 1 ||
      (ntohl(g_addr.sin_addr.s_addr) >> 24) != 127) {
    fprintf(stderr, "tls_loadgen: HOST must be an address in 127.0.0.0/8\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  alarm((unsigned)(warmup + duration + 60));
  g_ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(g_ctx, SSL_VERIFY_NONE, NULL);
  struct client *cs = calloc((size_t)clients, sizeof *cs);
  double t_hs = now();
  for (int i = 0; i < clients; i++) pthread_create(&cs[i].thread, NULL, run_client, &cs[i]);
  while (atomic_load(&g_ready) < clients) {
    if (now() - t_hs > g_timeout) die("handshakes did not finish within %d s", g_timeout);
    usleep(1000);
  }
  double handshakes = now() - t_hs;
  if (warmup > 0) usleep((useconds_t)(warmup * 1e6));
  double t0 = now();
  atomic_store(&g_phase, 1);
  usleep((useconds_t)(duration * 1e6));
  atomic_store(&g_phase, 2);
  double seconds = now() - t0;
  long long requests = 0, total = 0;
  for (int i = 0; i < clients; i++) {
    pthread_join(cs[i].thread, NULL);
    requests += cs[i].requests;
    total += cs[i].total;
  }
  double bytes = (double)requests * (double)g_size;
  printf("{\"clients\": %d, \"size\": %zu, \"requests\": %lld, \"bytes\": %.0f, \"seconds\": %.6f, "
         "\"rps\": %.1f, \"mib_per_s\": %.2f, \"handshake_seconds\": %.6f, "
         "\"total_requests\": %lld}\n",
         clients, g_size, requests, bytes, seconds, requests / seconds,
         bytes / seconds / (1024.0 * 1024.0), handshakes, total);
  return 0;
}
