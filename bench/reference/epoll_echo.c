/*
 * The C reference for the benchmark: the same design as chapter 06 (one
 * thread, non-blocking sockets, level-triggered epoll), written the way a C
 * programmer would, so the bench can show what the Deno FFI layer costs.
 *
 * Same contract as every chapter: --host H --port P (0 = any free port),
 * prints "listening on HOST:PORT", echoes under backpressure and half-close,
 * survives resets and EMFILE, exits 0 on SIGINT/SIGTERM.
 *
 * Build: gcc -O2 -o epoll_echo epoll_echo.c
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFFER_SIZE 16384
#define MAX_EVENTS 1024

/* One connection: the bytes read but not yet echoed. While any are pending we
 * stop reading this peer (backpressure) and wait for EPOLLOUT instead. */
struct conn {
  char buffer[BUFFER_SIZE];
  size_t start, end;
  int read_closed;
};

static struct conn **conns;
static int conns_size;
static volatile sig_atomic_t stopping;

static void on_signal(int sig) { (void)sig; stopping = 1; }

static void watch(int ep, int op, int fd, unsigned events) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  epoll_ctl(ep, op, fd, &ev);
}

static void drop(int ep, int fd) {
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  free(conns[fd]);
  conns[fd] = NULL;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Returns the time until which the listener is unwatched, or 0. */
static double accept_all(int ep, int listener) {
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* Out of descriptors: stop watching the listener for 100 ms rather
         * than spin on a handshake we cannot take. */
        fprintf(stderr, "accept4: %s\n", strerror(errno));
        watch(ep, EPOLL_CTL_DEL, listener, 0);
        return now_ms() + 100;
      }
      return 0; /* EAGAIN, ECONNABORTED, ...: nothing more to take now */
    }
    if (fd >= conns_size) {
      int size = conns_size;
      while (size <= fd) size *= 2;
      conns = realloc(conns, size * sizeof *conns);
      memset(conns + conns_size, 0, (size - conns_size) * sizeof *conns);
      conns_size = size;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conns[fd] = calloc(1, sizeof(struct conn));
    watch(ep, EPOLL_CTL_ADD, fd, EPOLLIN);
  }
}

/* Echoes what can be echoed now; returns 0 when the connection is finished. */
static int serve(int ep, int fd, unsigned events) {
  struct conn *c = conns[fd];
  if (c->start == c->end && !c->read_closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
    ssize_t n = recv(fd, c->buffer, BUFFER_SIZE, 0);
    if (n == 0) c->read_closed = 1;
    else if (n < 0) return errno == EAGAIN || errno == EINTR;
    else c->start = 0, c->end = (size_t)n;
  }
  while (c->start < c->end) {
    ssize_t n = send(fd, c->buffer + c->start, c->end - c->start, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) return 0;
      watch(ep, EPOLL_CTL_MOD, fd, EPOLLOUT); /* full: wait, read nothing */
      return 1;
    }
    c->start += (size_t)n;
  }
  if (c->read_closed) {
    shutdown(fd, SHUT_WR);
    return 0;
  }
  if (events & EPOLLOUT) watch(ep, EPOLL_CTL_MOD, fd, EPOLLIN);
  return 1;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 7007;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
    else if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: epoll_echo [--host H] [--port P]\n");
      return 2;
    }
  }
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "error: invalid host \"%s\"\n", host);
    return 2;
  }
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 4096) < 0) {
    fprintf(stderr, "error: bind: %s\n", strerror(errno));
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(listener, (struct sockaddr *)&addr, &len);
  printf("listening on %s:%d\n", host, ntohs(addr.sin_port));
  fflush(stdout);

  struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: wake epoll_wait */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  conns_size = 1024;
  conns = calloc(conns_size, sizeof *conns);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  watch(ep, EPOLL_CTL_ADD, listener, EPOLLIN);
  struct epoll_event events[MAX_EVENTS];
  double backoff_until = 0;
  while (!stopping) {
    int n = epoll_wait(ep, events, MAX_EVENTS, backoff_until ? 100 : -1);
    if (n < 0 && errno != EINTR) break;
    if (backoff_until && now_ms() >= backoff_until) {
      backoff_until = 0;
      watch(ep, EPOLL_CTL_ADD, listener, EPOLLIN);
    }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == listener) backoff_until = accept_all(ep, listener);
      else if (conns[fd] && !serve(ep, fd, events[i].events)) drop(ep, fd);
    }
  }
  for (int fd = 0; fd < conns_size; fd++)
    if (conns[fd]) close(fd);
  close(listener);
  return 0;
}
