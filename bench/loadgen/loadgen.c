/*
 * The bench's load generator: drives one echo server over many TCP
 * connections and prints what it saw as JSON lines, one event per line (the
 * protocol in bench/protocol.ts). Every connection has one message in flight:
 * `--size` random bytes go out, the same bytes must come back (compared byte
 * for byte), then the next goes. `--phase=load` runs closed loop (the next
 * message goes as soon as the echo is back), then, on the same connections,
 * open loop at each of `--rates` round trips per second below saturation:
 * sends on a fixed schedule spread over the connections, latency counted from
 * the scheduled time (wrk2's cure for coordinated omission); with
 * `--closed-rounds`, fewer closed-loop rounds than open-loop ones (the closed
 * loop then only sets the highest rate worth offering). `--phase=probe`
 * opens connections in steps until the server stops echoing on all of them.
 * Failed connects, resets, closes by the server and wrong bytes are counted
 * by kind, never hidden. Every timed round and the probe's idle pause also
 * report the machine's busy time, so the bench can tell what else ran. It is written in C on epoll, with `--threads` workers
 * each owning a share of the connections: per round trip it costs about as
 * much CPU as the C reference (the same system calls; see bench/README.md)
 * and less than most Deno servers, and threads give it headroom where there
 * are cores to spare. The bench records its CPU in every round, and compiles it
 * (gcc -O2 -pthread) into a temp dir. To run one cell by hand:
 * `deno task bench --chapters 06 --references c --connections 100 --sizes 64`
 * (results in a temp dir), or directly:
 *
 *   gcc -O2 -pthread -o /tmp/loadgen bench/loadgen/loadgen.c
 *   /tmp/loadgen --port 7007 --phase=load --connections=100 --size=64 \
 *     --rounds=3 --round-ms=1000 --rates=1000,10000 --server-pid=PID
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define POOL_SIZE (1 << 20)
#define SLICES 4096
#define MAX_KINDS 32
#define MAX_EVENTS 1024
#define MAX_THREADS 64
#define NS 1000000000LL

/* ---- settings, from the command line ---- */
static struct {
  char host[64], phase[16], rates[256];
  int port, connections, size, rounds, round_ms, warmup_ms, timeout_ms;
  int memory_mb, server_pid, threads, closed_rounds;
} opt = {.closed_rounds = -1, .host = "127.0.0.1", .phase = "load", .port = 7007,
         .connections = 100, .size = 64, .rounds = 3, .round_ms = 1000,
         .warmup_ms = 500, .timeout_ms = 5000, .memory_mb = 4096, .threads = 1};

/* ---- failures by kind ---- */
struct errors {
  char kind[MAX_KINDS][80];
  long count[MAX_KINDS];
  int n;
};

static void count_error(struct errors *e, const char *kind) {
  for (int i = 0; i < e->n; i++)
    if (strcmp(e->kind[i], kind) == 0) { e->count[i]++; return; }
  if (e->n == MAX_KINDS) return;
  snprintf(e->kind[e->n], sizeof e->kind[0], "%s", kind);
  e->count[e->n++] = 1;
}

static void add_errors(struct errors *into, const struct errors *from) {
  for (int i = 0; i < from->n; i++)
    for (long k = 0; k < from->count[i]; k++) count_error(into, from->kind[i]);
}

/* ---- one connection, one worker ---- */
enum { FREE, CONNECTING, IDLE, BUSY };

struct conn {
  int fd, state, sent, received, slice, want_out;
  int64_t since; /* connect start, or when the message in flight was due */
  int64_t due;   /* open loop: when the next message is scheduled */
};

struct worker {
  int id, epfd;
  struct conn *conns; /* never reused: a failed one stays FREE */
  int nconns, capacity, live, busy;
  struct errors errors;
  uint32_t random;
  unsigned char scratch[65536];
  /* the phase in progress */
  int issuing, record, echoed;
  long round_trips, bytes;
  int64_t last_echo, period;
  float *latencies;
  size_t nlat, latcap;
  int *heap; /* idle connections by due time (open loop) */
  int nheap;
  int (*phase)(struct worker *);
  int64_t arg, until;
  pthread_t thread;
};

static struct worker workers[MAX_THREADS];
static struct sockaddr_in server;
static unsigned char *pool;
static int slice_at[SLICES];
static atomic_int stopped; /* set by the watchdog: the phase ends early */
static char stop_reason[128];
static struct errors main_errors;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * NS + t.tv_nsec;
}

static uint32_t next_random(struct worker *w) { /* xorshift32 */
  uint32_t x = w->random;
  x ^= x << 13, x ^= x >> 17, x ^= x << 5;
  return w->random = x;
}

static void errno_kind(char *out, size_t size, const char *what, int code) {
  const char *name = strerrorname_np(code);
  snprintf(out, size, "%s (%s)", what, name ? name : "?");
}

static void release(struct worker *w, struct conn *c) {
  if (c->state == BUSY) w->busy--;
  if (c->state != FREE) w->live--;
  c->state = FREE;
  close(c->fd); /* also leaves the epoll set */
}

static void fail(struct worker *w, struct conn *c, const char *kind) {
  count_error(&w->errors, kind);
  release(w, c);
}

static void watch(struct worker *w, int op, struct conn *c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.u32 = c - w->conns};
  epoll_ctl(w->epfd, op, c->fd, &ev);
}

/* ---- sending and receiving ---- */

/* Sends what is left of the message; waits for EPOLLOUT when the socket's
 * send buffer is full (a 4 KiB message nearly always goes in one call). */
static void flush(struct worker *w, struct conn *c) {
  const unsigned char *slice = pool + slice_at[c->slice];
  while (c->sent < opt.size) {
    ssize_t n = send(c->fd, slice + c->sent, opt.size - c->sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {
      char kind[80];
      errno_kind(kind, sizeof kind, "reset", errno);
      fail(w, c, kind);
      return;
    }
    c->sent += n;
  }
  int want_out = c->sent < opt.size;
  if (want_out != c->want_out) {
    c->want_out = want_out;
    watch(w, EPOLL_CTL_MOD, c, want_out ? EPOLLIN | EPOLLOUT : EPOLLIN);
  }
}

/* Puts a fresh message in flight; `since` is when it was due. */
static void start(struct worker *w, struct conn *c, int64_t since) {
  c->slice = next_random(w) % SLICES;
  c->sent = c->received = 0;
  c->since = since;
  c->state = BUSY;
  w->busy++;
  flush(w, c);
}

static void heap_push(struct worker *w, int i);

static void receive(struct worker *w, struct conn *c) {
  ssize_t n = recv(c->fd, w->scratch, sizeof w->scratch, 0);
  if (n < 0 && errno == EAGAIN) return;
  if (n < 0) {
    char kind[80];
    errno_kind(kind, sizeof kind, "reset", errno);
    fail(w, c, kind);
    return;
  }
  if (n == 0) {
    fail(w, c, "closed by server");
    return;
  }
  if (c->state != BUSY || c->received + n > c->sent ||
      memcmp(w->scratch, pool + slice_at[c->slice] + c->received, n) != 0) {
    fail(w, c, "wrong bytes echoed");
    return;
  }
  c->received += n;
  if (c->received < opt.size) return;
  /* The whole message is back: one round trip. */
  int64_t now = now_ns();
  w->last_echo = now;
  w->round_trips++;
  w->bytes += opt.size;
  w->busy--;
  c->state = IDLE;
  if (w->record) {
    if (w->nlat == w->latcap) {
      w->latcap = w->latcap ? w->latcap * 2 : 1 << 16;
      w->latencies = realloc(w->latencies, w->latcap * sizeof(float));
    }
    w->latencies[w->nlat++] = (now - c->since) / 1e3f;
  }
  if (!w->issuing) return;
  if (!w->period) start(w, c, now); /* closed loop: at once */
  else if (c->due <= now) {         /* open loop, late: at once, due time */
    int64_t due = c->due;
    c->due += w->period;
    start(w, c, due);
  } else heap_push(w, c - w->conns);
}

/* The handshake ended; SO_ERROR says how. */
static void connected(struct worker *w, struct conn *c) {
  int code = 0;
  socklen_t len = sizeof code;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &code, &len);
  if (code) {
    char kind[80];
    errno_kind(kind, sizeof kind, "connect", code);
    fail(w, c, kind);
    return;
  }
  c->state = IDLE;
  watch(w, EPOLL_CTL_MOD, c, EPOLLIN);
  w->echoed++; /* counts connections made, in the open phase */
}

/* Waits up to `timeout` ns for readiness and handles what is ready. */
static void poll_once(struct worker *w, int64_t timeout) {
  struct epoll_event events[MAX_EVENTS];
  struct timespec t = {timeout / NS, timeout % NS};
  int n = epoll_pwait2(w->epfd, events, MAX_EVENTS, &t, NULL);
  for (int i = 0; i < n; i++) {
    struct conn *c = &w->conns[events[i].data.u32];
    if (c->state == FREE) continue; /* failed earlier in this batch */
    if (c->state == CONNECTING) { connected(w, c); continue; }
    if (events[i].events & EPOLLOUT && c->state == BUSY) flush(w, c);
    if (events[i].events & ~EPOLLOUT && c->state != FREE) receive(w, c);
  }
}

/* ---- the open-loop schedule: a min-heap of idle connections by due ---- */
static int64_t due_of(struct worker *w, int k) { return w->conns[w->heap[k]].due; }

static void heap_push(struct worker *w, int i) {
  int k = w->nheap++;
  w->heap[k] = i;
  while (k > 0 && due_of(w, (k - 1) / 2) > due_of(w, k)) {
    int p = (k - 1) / 2, t = w->heap[p];
    w->heap[p] = w->heap[k], w->heap[k] = t, k = p;
  }
}

static int heap_pop(struct worker *w) {
  int top = w->heap[0], k = 0;
  w->heap[0] = w->heap[--w->nheap];
  for (;;) {
    int l = 2 * k + 1, r = l + 1, m = k;
    if (l < w->nheap && due_of(w, l) < due_of(w, m)) m = l;
    if (r < w->nheap && due_of(w, r) < due_of(w, m)) m = r;
    if (m == k) return top;
    int t = w->heap[m];
    w->heap[m] = w->heap[k], w->heap[k] = t, k = m;
  }
}

/* ---- phases, run by every worker on its own connections ---- */

/* Waits for the messages in flight as long as echoes keep coming (a server
 * starting a thread or a process per connection is slow, not stuck); fails
 * those still out once none has come back for --timeout-ms, or after 60 s. */
static void drain(struct worker *w) {
  int64_t started = now_ns();
  w->last_echo = started;
  while (w->busy > 0 && !atomic_load(&stopped)) {
    int64_t now = now_ns();
    if (now - w->last_echo >= opt.timeout_ms * 1000000LL) break;
    if (now - started >= 60 * NS) break;
    poll_once(w, 10000000);
  }
  char kind[80];
  if (atomic_load(&stopped)) snprintf(kind, sizeof kind, "echo abandoned (probe stopped)");
  else snprintf(kind, sizeof kind, "no echo within %g s", opt.timeout_ms / 1e3);
  for (int i = 0; i < w->nconns; i++)
    if (w->conns[i].state == BUSY) fail(w, &w->conns[i], kind);
}

static struct conn *new_conn(struct worker *w) {
  if (w->nconns == w->capacity) {
    count_error(&w->errors, "loadgen out of connection slots");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    /* Our own limit (EMFILE here), not the server's: reported as such. */
    char kind[80];
    errno_kind(kind, sizeof kind, "loadgen socket", errno);
    count_error(&w->errors, kind);
    return NULL;
  }
  struct conn *c = &w->conns[w->nconns++];
  memset(c, 0, sizeof *c);
  c->fd = fd;
  c->since = now_ns();
  w->live++;
  /* One message in flight and nothing queued behind it: Nagle's delay would
   * only ever add latency here. */
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return c;
}

/* Opens `arg` more connections, at most 256 handshakes at a time over all
 * workers (a burst of thousands would overflow the server's listen backlog
 * and turn into SYN retransmits, a second each). */
static int phase_open(struct worker *w) {
  int pending = 256 / opt.threads > 8 ? 256 / opt.threads : 8;
  int started = 0, in_flight;
  int64_t next_check = now_ns() + 250000000;
  w->echoed = 0;
  for (;;) {
    in_flight = 0;
    for (int i = 0; i < w->nconns; i++) in_flight += w->conns[i].state == CONNECTING;
    while (started < w->arg && in_flight < pending && !atomic_load(&stopped)) {
      started++;
      struct conn *c = new_conn(w);
      if (!c) continue;
      if (connect(c->fd, (struct sockaddr *)&server, sizeof server) == 0) {
        c->state = IDLE, w->echoed++;
        watch(w, EPOLL_CTL_ADD, c, EPOLLIN);
      } else if (errno == EINPROGRESS) {
        c->state = CONNECTING, in_flight++;
        watch(w, EPOLL_CTL_ADD, c, EPOLLOUT);
      } else {
        char kind[80];
        errno_kind(kind, sizeof kind, "connect", errno);
        fail(w, c, kind);
      }
    }
    if (in_flight == 0 && (started >= w->arg || atomic_load(&stopped))) break;
    poll_once(w, 10000000);
    int64_t now = now_ns();
    if (now < next_check && !atomic_load(&stopped)) continue;
    next_check = now + 250000000;
    for (int i = 0; i < w->nconns; i++) {
      struct conn *c = &w->conns[i];
      if (c->state != CONNECTING) continue;
      if (atomic_load(&stopped)) fail(w, c, "connect abandoned");
      else if (now - c->since >= opt.timeout_ms * 1000000LL) fail(w, c, "connect timeout");
    }
  }
  return 0;
}

/* One `size`-byte message on every idle connection; counts intact echoes. */
static int phase_ping(struct worker *w) {
  long before = w->round_trips;
  w->issuing = 0;
  for (int i = 0; i < w->nconns; i++)
    if (w->conns[i].state == IDLE) start(w, &w->conns[i], now_ns());
  drain(w);
  w->echoed = w->round_trips - before;
  return 0;
}

/* Closed loop until `until`, then the messages in flight come back. */
static int phase_run(struct worker *w) {
  w->issuing = 1;
  w->period = 0;
  int64_t started = now_ns();
  for (int i = 0; i < w->nconns; i++)
    if (w->conns[i].state == IDLE) start(w, &w->conns[i], started);
  while (w->busy > 0 && now_ns() < w->until) poll_once(w, 10000000);
  w->issuing = 0;
  drain(w);
  return 0;
}

/* Open loop: connection k of N sends at start + (k/N + j) * period, the
 * j-th time; late (its previous echo not back yet) it sends on the echo,
 * and the latency still counts from when it was due. */
static int phase_rate(struct worker *w) {
  int64_t t0 = now_ns();
  w->issuing = 1;
  w->period = w->arg;
  w->nheap = 0;
  w->heap = realloc(w->heap, (w->nconns + 1) * sizeof(int));
  for (int i = 0; i < w->nconns; i++) {
    struct conn *c = &w->conns[i];
    if (c->state != IDLE) continue;
    int global = i * opt.threads + w->id;
    c->due = t0 + (int64_t)((double)global / opt.connections * w->period);
    heap_push(w, i);
  }
  for (int64_t now; (now = now_ns()) < w->until;) {
    while (w->nheap > 0 && due_of(w, 0) <= now) {
      struct conn *c = &w->conns[heap_pop(w)];
      if (c->state != IDLE) continue;
      int64_t due = c->due;
      c->due += w->period;
      start(w, c, due);
    }
    int64_t next = w->nheap ? due_of(w, 0) : w->until;
    if (next > w->until) next = w->until;
    poll_once(w, next > now ? next - now : 0);
  }
  w->issuing = 0;
  w->period = 0;
  drain(w);
  return 0;
}

/* Waits without sending: every connection stays open and quiet (a byte or a
 * close from the server still counts). */
static int phase_pause(struct worker *w) {
  for (int64_t now; (now = now_ns()) < w->until;) poll_once(w, w->until - now);
  return 0;
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  w->phase(w);
  return NULL;
}

/* ---- /proc: the server's CPU, memory, threads; the machine's CPU ---- */
struct usage {
  double cpu_seconds;
  long rss_bytes, virtual_bytes, threads, processes;
};

static int read_file(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = 0;
  return 0;
}

/* The number after `key` in /proc/PID/status, or 0. */
static long status_field(const char *status, const char *key) {
  const char *line = strstr(status, key);
  long value = 0;
  if (line) sscanf(line + strlen(key), "%ld", &value);
  return value;
}

/* One process's utime+stime+cutime+cstime in seconds, and its parent. */
static int process_cpu(int pid, double *seconds, int *ppid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  if (read_file(path, buf, sizeof buf)) return -1;
  char *p = strrchr(buf, ')'); /* the command name may hold anything */
  if (!p) return -1;
  long long f[5] = {0};
  char state;
  sscanf(p + 2, "%c %lld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld %lld %lld",
         &state, &f[0], &f[1], &f[2], &f[3], &f[4]);
  *ppid = f[0];
  *seconds = (f[1] + f[2] + f[3] + f[4]) / (double)sysconf(_SC_CLK_TCK);
  return 0;
}

/* One process: utime+stime+cutime+cstime, VmRSS, VmSize, Threads. */
static int process_usage(int pid, struct usage *u, int *ppid) {
  char path[64], buf[4096];
  double seconds;
  int parent;
  if (process_cpu(pid, &seconds, &parent)) return -1;
  if (ppid) *ppid = parent;
  if (!u) return 0;
  u->cpu_seconds += seconds;
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  if (read_file(path, buf, sizeof buf)) return 0;
  u->rss_bytes += status_field(buf, "VmRSS:") * 1024; /* 0 for a zombie */
  u->virtual_bytes += status_field(buf, "VmSize:") * 1024;
  u->threads += status_field(buf, "Threads:");
  u->processes++;
  return 0;
}

/* `pid` and every process it started, as `ps` would sum them; -1 if gone. */
static int tree_usage(int pid, struct usage *u) {
  memset(u, 0, sizeof *u);
  if (process_usage(pid, u, NULL)) return -1;
  static int pids[1 << 16], parents[1 << 16];
  int n = 0;
  DIR *d = opendir("/proc");
  for (struct dirent *e; d && (e = readdir(d)) && n < (1 << 16);) {
    int p = atoi(e->d_name);
    if (p > 0 && process_usage(p, NULL, &parents[n]) == 0) pids[n++] = p;
  }
  if (d) closedir(d);
  /* Breadth first from `pid`: a process whose parent is in the family is. */
  int family[1 << 12], nfamily = 1;
  family[0] = pid;
  for (int k = 0; k < nfamily; k++)
    for (int i = 0; i < n && nfamily < (1 << 12); i++)
      if (parents[i] == family[k]) {
        family[nfamily++] = pids[i];
        process_usage(pids[i], u, NULL);
      }
  return 0;
}

/* Whether `pid` is a ksoftirqd/N kernel thread. When softirq work keeps
 * coming back (more than MAX_SOFTIRQ_RESTART rounds or MAX_SOFTIRQ_TIME in
 * __do_softirq, kernel/softirq.c), the kernel hands the rest to ksoftirqd.
 * On a bench machine that is the loopback's receive path (net_rx_action,
 * net/core/dev.c) finishing the echo's own packets at thousands of
 * connections: part of the workload, not other work beside it. */
static int is_ksoftirqd(int pid) {
  char path[64], comm[64];
  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  return read_file(path, comm, sizeof comm) == 0 && strncmp(comm, "ksoftirqd/", 10) == 0;
}

/* CPU seconds of every task on the machine that is neither the server's
 * family (`server_pid` and its descendants) nor this load generator, plus
 * steal (another guest running on our cores) and ksoftirqd (above): the
 * other work beside a measurement. Reaped children count through their parent's cutime, so a
 * short job that came and went is seen too. It is counted task by task
 * because the machine's busy time (wall x cores - idle) also holds interrupt
 * time on cores that were idle, charged to no task: on loopback the wake-ups
 * between the two processes alone make 0.1 core of it at one connection. */
static double other_tasks_seconds(int server_pid) {
  static int pids[1 << 16], parents[1 << 16];
  static double cpu[1 << 16];
  static char family[1 << 16];
  int n = 0, self = getpid();
  DIR *d = opendir("/proc");
  for (struct dirent *e; d && (e = readdir(d)) && n < (1 << 16);) {
    int p = atoi(e->d_name);
    if (p > 0 && process_cpu(p, &cpu[n], &parents[n]) == 0) pids[n++] = p;
  }
  if (d) closedir(d);
  /* The server's family, to a fixed point: a process whose parent is in it. */
  for (int i = 0; i < n; i++) family[i] = pids[i] == server_pid || pids[i] == self;
  for (int changed = 1; changed;) {
    changed = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; !family[i] && j < n; j++)
        if (family[j] && pids[j] == parents[i] && pids[j] != self)
          family[i] = changed = 1;
  }
  double seconds = 0;
  for (int i = 0; i < n; i++)
    if (!family[i] && !is_ksoftirqd(pids[i])) seconds += cpu[i];
  char buf[512];
  unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal = 0;
  if (read_file("/proc/stat", buf, sizeof buf) == 0)
    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice,
           &sys, &idle, &iowait, &irq, &softirq, &steal);
  return seconds + steal / (double)sysconf(_SC_CLK_TCK);
}

/* Seconds every core of the machine spent idle (idle + iowait in the first
 * line of /proc/stat). On a tickless kernel they come from the idle loop's own
 * clock (get_idle_time in fs/proc/stat.c), not from sampled ticks, so
 * `wall seconds x cores - idle seconds` is the machine's busy time (steal and
 * interrupts included) about as exact as the process times it is set beside. */
static double machine_idle_seconds(void) {
  char buf[512];
  unsigned long long user, nice, sys, idle, iowait;
  if (read_file("/proc/stat", buf, sizeof buf)) return 0;
  sscanf(buf, "cpu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait);
  return (idle + iowait) / (double)sysconf(_SC_CLK_TCK);
}

/* The machine's busy CPU seconds over `seconds` of wall time that began when
 * machine_idle_seconds() returned `idle_before`. */
static double machine_busy_seconds(double seconds, double idle_before) {
  return seconds * sysconf(_SC_NPROCESSORS_ONLN) - (machine_idle_seconds() - idle_before);
}

static double self_cpu_seconds(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_stime.tv_sec +
         (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

/* Stops a phase when the server has died or outgrown the memory budget. */
static const char *watchdog(void) {
  if (!opt.server_pid) return NULL;
  struct usage u;
  if (tree_usage(opt.server_pid, &u)) return "server exited";
  static char why[128];
  snprintf(why, sizeof why, "memory budget (%d MB RSS) exceeded", opt.memory_mb);
  return u.rss_bytes > (long)opt.memory_mb << 20 ? why : NULL;
}

/* ---- running a phase on every worker ---- */

/* Runs `phase` on every worker at once; with `guarded`, the watchdog looks
 * every 250 ms and stops the phase (and every later one) when it objects. */
static void run(int (*phase)(struct worker *), int64_t arg, int64_t until, int guarded) {
  for (int i = 0; i < opt.threads; i++) {
    struct worker *w = &workers[i];
    w->phase = phase, w->until = until;
    /* a share of `arg` connections to open, or the same for all */
    w->arg = phase == phase_open ? arg / opt.threads + (i < arg % opt.threads) : arg;
    pthread_create(&w->thread, NULL, worker_main, w);
  }
  for (int i = 0; i < opt.threads; i++) {
    if (guarded) {
      struct timespec t;
      while (clock_gettime(CLOCK_REALTIME, &t), t.tv_nsec += 250000000,
             t.tv_sec += t.tv_nsec / NS, t.tv_nsec %= NS,
             pthread_timedjoin_np(workers[i].thread, NULL, &t) == ETIMEDOUT) {
        const char *why = atomic_load(&stopped) ? NULL : watchdog();
        if (why) {
          snprintf(stop_reason, sizeof stop_reason, "%s", why);
          count_error(&main_errors, why);
          atomic_store(&stopped, 1);
        }
      }
    } else pthread_join(workers[i].thread, NULL);
  }
}

/* Connections open, over every worker. */
static int live(void) {
  int sum = 0;
  for (int i = 0; i < opt.threads; i++) sum += workers[i].live;
  return sum;
}

/* What the last phase counted (connections made, echoes), over every worker. */
static int echoed(void) {
  int sum = 0;
  for (int i = 0; i < opt.threads; i++) sum += workers[i].echoed;
  return sum;
}

static struct errors all_errors(void) {
  struct errors e = main_errors;
  for (int i = 0; i < opt.threads; i++) add_errors(&e, &workers[i].errors);
  return e;
}

static const char *first_error(void) {
  static struct errors e;
  e = all_errors();
  return e.n ? (main_errors.n ? main_errors.kind[0] : e.kind[0]) : NULL;
}

/* ---- JSON out ---- */
static void print_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') putchar('\\');
    putchar(*s);
  }
  putchar('"');
}

static void print_errors(const struct errors *e, const struct errors *before) {
  printf("\"errors\":{");
  int first = 1;
  for (int i = 0; i < e->n; i++) {
    long was = 0;
    for (int j = 0; before && j < before->n; j++)
      if (strcmp(before->kind[j], e->kind[i]) == 0) was = before->count[j];
    if (e->count[i] - was <= 0) continue;
    if (!first) putchar(',');
    first = 0;
    print_string(e->kind[i]);
    printf(":%ld", e->count[i] - was);
  }
  putchar('}');
}

static void print_nullable(const char *key, double value, int present) {
  if (present) printf(",\"%s\":%.6g", key, value);
  else printf(",\"%s\":null", key);
}

static void end_event(const struct errors *before) {
  struct errors e = all_errors();
  putchar(',');
  print_errors(&e, before);
  printf("}\n");
  fflush(stdout);
}

/* ---- the three phases the bench asks for ---- */
static int compare_floats(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Latency percentiles over every worker (nearest rank), then cleared. */
static void percentiles(double *p50, double *p99, double *p999) {
  size_t n = 0;
  for (int i = 0; i < opt.threads; i++) n += workers[i].nlat;
  float *all = malloc((n + 1) * sizeof(float));
  size_t k = 0;
  for (int i = 0; i < opt.threads; i++) {
    memcpy(all + k, workers[i].latencies, workers[i].nlat * sizeof(float));
    k += workers[i].nlat;
    workers[i].nlat = 0;
  }
  qsort(all, n, sizeof(float), compare_floats);
  double q[3] = {0.5, 0.99, 0.999}, *out[3] = {p50, p99, p999};
  for (int i = 0; i < 3; i++) {
    size_t rank = (size_t)(q[i] * n + 0.999999999);
    if (rank < 1) rank = 1;
    *out[i] = n ? all[(rank > n ? n : rank) - 1] : 0;
  }
  free(all);
}

static void set_record(int record) {
  for (int i = 0; i < opt.threads; i++) {
    workers[i].record = record;
    workers[i].round_trips = workers[i].bytes = 0;
  }
}

/* One timed round (closed loop when `period` is 0), printed as an event;
 * returns the round trips per second it achieved. */
static double timed_round(const char *event, int round, int64_t period, long rate) {
  struct errors before = all_errors();
  struct usage u0, u1;
  int server = opt.server_pid && tree_usage(opt.server_pid, &u0) == 0;
  double self = self_cpu_seconds(), idle = machine_idle_seconds();
  double others = opt.server_pid ? other_tasks_seconds(opt.server_pid) : 0;
  int64_t started = now_ns();
  set_record(1);
  run(period ? phase_rate : phase_run, period, started + opt.round_ms * 1000000LL, 0);
  double seconds = (now_ns() - started) / 1e9;
  double machine_seconds = machine_busy_seconds(seconds, idle);
  double self_seconds = self_cpu_seconds() - self;
  server = server && tree_usage(opt.server_pid, &u1) == 0;
  if (opt.server_pid) others = other_tasks_seconds(opt.server_pid) - others;
  long trips = 0, bytes = 0;
  for (int i = 0; i < opt.threads; i++) trips += workers[i].round_trips, bytes += workers[i].bytes;
  set_record(0);
  double p50, p99, p999;
  percentiles(&p50, &p99, &p999);
  printf("{\"event\":\"%s\",\"size\":%d,\"round\":%d,\"connections\":%d", event,
         opt.size, round, live());
  if (period) printf(",\"rate\":%ld", rate);
  printf(",\"roundTrips\":%ld,\"bytes\":%ld,\"seconds\":%.6g", trips, bytes, seconds);
  printf(",\"p50Us\":%.6g,\"p99Us\":%.6g,\"p999Us\":%.6g", p50, p99, p999);
  print_nullable("serverCpuSeconds", u1.cpu_seconds - u0.cpu_seconds, server);
  printf(",\"loadgenCpuSeconds\":%.6g", self_seconds);
  printf(",\"machineCpuSeconds\":%.6g", machine_seconds);
  print_nullable("otherTasksCpuSeconds", others, opt.server_pid);
  print_nullable("rssBytes", u1.rss_bytes, server);
  print_nullable("threads", u1.threads, server);
  print_nullable("processes", u1.processes, server);
  end_event(&before);
  return trips / seconds;
}

/* Opens --connections and checks each with an echo; 1 when all echoed. */
static int connect_all(void) {
  run(phase_open, opt.connections, 0, 1);
  run(phase_ping, 0, 0, 1);
  int all = echoed();
  printf("{\"event\":\"connected\",\"connections\":%d,\"echoed\":%d",
         opt.connections, all);
  end_event(NULL);
  return all == opt.connections;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* A warm-up and the timed closed-loop rounds; then, on the same connections,
 * each rate of --rates (lowest first) up to 80% of the closed loop's median
 * rate (past saturation an open loop measures only its queue): a warm-up at
 * that rate, then the timed rounds. */
static void measure(void) {
  if (!connect_all()) return;
  run(phase_run, 0, now_ns() + opt.warmup_ms * 1000000LL, 0);
  double rates[100];
  int closed = opt.closed_rounds < 0 ? opt.rounds : opt.closed_rounds;
  for (int r = 1; r <= closed; r++) rates[r - 1] = timed_round("round", r, 0, 0);
  qsort(rates, closed, sizeof(double), compare_doubles);
  double median = closed % 2 ? rates[closed / 2] : (rates[closed / 2 - 1] + rates[closed / 2]) / 2;
  for (char *p = opt.rates; *p;) {
    long rate = strtol(p, &p, 10);
    if (*p == ',') p++;
    if (rate <= 0 || rate > 0.8 * median) continue;
    int64_t period = (int64_t)((double)NS * opt.connections / rate);
    set_record(0);
    run(phase_rate, period, now_ns() + opt.warmup_ms * 1000000LL, 0);
    for (int r = 1; r <= opt.rounds; r++) timed_round("rate", r, period, rate);
  }
}

/* Grows the open connections step by step until one fails. */
static void probe(void) {
  static const int steps[] = {1, 10, 100, 1000, 2500, 5000, 7500, 10000, 15000};
  int targets[16], ntargets = 0, held = 0, failed_at = 0;
  for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++)
    if (steps[s] < opt.connections) targets[ntargets++] = steps[s];
  targets[ntargets++] = opt.connections;
  const char *failure = NULL;
  for (int s = 0; s < ntargets; s++) {
    int target = targets[s];
    int64_t started = now_ns();
    run(phase_open, target - live(), 0, 1);
    int saved = opt.size;
    opt.size = 64;
    run(phase_ping, 0, 0, 1);
    opt.size = saved;
    int answered = echoed();
    struct usage u;
    int server = opt.server_pid && tree_usage(opt.server_pid, &u) == 0;
    printf("{\"event\":\"step\",\"connections\":%d,\"echoed\":%d,\"seconds\":%.6g",
           target, answered, (now_ns() - started) / 1e9);
    print_nullable("rssBytes", u.rss_bytes, server);
    print_nullable("virtualBytes", u.virtual_bytes, server);
    print_nullable("threads", u.threads, server);
    print_nullable("processes", u.processes, server);
    end_event(NULL);
    if (answered < target) {
      held = answered > held ? answered : held;
      failed_at = target;
      failure = first_error();
      if (!failure) failure = "fewer echoes than connections";
      break;
    }
    held = target;
    if (atomic_load(&stopped) || (failure = watchdog())) {
      if (!failure) failure = stop_reason;
      break;
    }
  }
  /* The server's CPU while every open connection stays quiet for a round's
   * length: about 0 for a model that sleeps until the kernel has news, a
   * whole core for one that polls. After a failed step too (01 serving one
   * client with nine more waiting in its backlog is exactly the idle state
   * to measure), but not after a stop: the server may still be busy with
   * what was abandoned. */
  struct usage u0, u1;
  int idle = opt.server_pid && live() > 0 && !atomic_load(&stopped) &&
             tree_usage(opt.server_pid, &u0) == 0;
  double self = self_cpu_seconds(), machine_idle = machine_idle_seconds();
  int64_t started = now_ns();
  if (idle) run(phase_pause, 0, started + opt.round_ms * 1000000LL, 0);
  idle = idle && tree_usage(opt.server_pid, &u1) == 0;
  double seconds = (now_ns() - started) / 1e9;
  double other = machine_busy_seconds(seconds, machine_idle) - (self_cpu_seconds() - self) -
                 (u1.cpu_seconds - u0.cpu_seconds);
  printf("{\"event\":\"probe\",\"held\":%d", held);
  print_nullable("failedAt", failed_at, failed_at > 0);
  printf(",\"failure\":");
  if (failure) print_string(failure);
  else printf("null");
  print_nullable("idleConnections", live(), idle);
  print_nullable("idleCores", idle ? (u1.cpu_seconds - u0.cpu_seconds) / seconds : 0, idle);
  /* What else kept the machine busy meanwhile (the bench repeats a noisy probe). */
  print_nullable("idleOtherCores", idle ? other / seconds : 0, idle);
  end_event(NULL);
}

/* ---- the command line ---- */
static void usage(const char *why) {
  fprintf(stderr, "loadgen: %s\nusage: loadgen --port P [--host H] [--phase probe|load] "
                  "[--connections N] [--size B] [--rates R,R] [--rounds N] [--round-ms MS] "
                  "[--warmup-ms MS] [--timeout-ms MS] [--memory-mb MB] [--server-pid PID] "
                  "[--threads N] [--closed-rounds N]\n", why);
  exit(2);
}

static void parse(int argc, char **argv) {
  static const struct { const char *name; int *value; int min, max; } ints[] = {
    {"port", &opt.port, 1, 65535}, {"connections", &opt.connections, 1, 60000},
    {"size", &opt.size, 1, 65536}, {"rounds", &opt.rounds, 1, 100},
    {"round-ms", &opt.round_ms, 10, 60000}, {"warmup-ms", &opt.warmup_ms, 0, 60000},
    {"timeout-ms", &opt.timeout_ms, 10, 600000}, {"memory-mb", &opt.memory_mb, 1, 1 << 20},
    {"server-pid", &opt.server_pid, 0, 1 << 22}, {"threads", &opt.threads, 1, MAX_THREADS},
    {"closed-rounds", &opt.closed_rounds, 1, 100},
  };
  for (int i = 1; i < argc; i++) {
    char *arg = argv[i], *value = strchr(arg, '=');
    if (strncmp(arg, "--", 2) != 0) usage(arg);
    arg += 2;
    if (value) *value++ = 0;
    else if (i + 1 < argc) value = argv[++i];
    else usage("missing value");
    int known = 0;
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
      if (strcmp(arg, ints[k].name) != 0) continue;
      char *end;
      long n = strtol(value, &end, 10);
      if (*end || n < ints[k].min || n > ints[k].max) usage(arg);
      *ints[k].value = n, known = 1;
    }
    if (strcmp(arg, "host") == 0) snprintf(opt.host, sizeof opt.host, "%s", value), known = 1;
    if (strcmp(arg, "phase") == 0) snprintf(opt.phase, sizeof opt.phase, "%s", value), known = 1;
    if (strcmp(arg, "rates") == 0) snprintf(opt.rates, sizeof opt.rates, "%s", value), known = 1;
    if (!known) usage(arg);
  }
  server.sin_family = AF_INET;
  server.sin_port = htons(opt.port);
  if (inet_pton(AF_INET, opt.host, &server.sin_addr) != 1) usage("bad --host");
}

int main(int argc, char **argv) {
  opt.memory_mb = 4096;
  parse(argc, argv);
  /* As many sockets as the hard limit allows. */
  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  /* Payloads are slices of a megabyte of random bytes at random offsets, one
   * of SLICES picked at random per message: consecutive messages differ, so
   * an echo of stale or reordered bytes cannot pass the check. */
  pool = malloc(POOL_SIZE);
  for (size_t off = 0; off < POOL_SIZE;) off += getrandom(pool + off, POOL_SIZE - off, 0);
  uint32_t seed;
  getrandom(&seed, sizeof seed, 0);
  for (int i = 0; i < SLICES; i++) { /* a linear congruential generator */
    seed = seed * 1664525 + 1013904223;
    slice_at[i] = seed % (POOL_SIZE - opt.size + 1);
  }
  int per_worker = opt.connections / opt.threads + 1;
  for (int i = 0; i < opt.threads; i++) {
    struct worker *w = &workers[i];
    w->id = i;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    /* Every step of a probe may round its share up by one. */
    w->capacity = per_worker + 16;
    w->conns = calloc(w->capacity, sizeof(struct conn));
    w->random = 0x9e3779b9u + i * 7919;
  }
  if (strcmp(opt.phase, "probe") == 0) probe();
  else if (strcmp(opt.phase, "load") == 0) measure();
  else usage("--phase must be probe or load");
  printf("{\"event\":\"done\"");
  end_event(NULL);
  return 0;
}
