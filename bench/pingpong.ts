/**
 * The load generator's engine: closed-loop ping-pong over many non-blocking
 * connections driven by one epoll instance, the technique of chapter 06.
 *
 * Each connection has exactly one message in flight: send `size` random bytes,
 * wait until the same bytes have come back, check them, send the next. Every
 * echoed byte is compared (with libc's memcmp) against what was sent; every
 * failure is counted by kind, never hidden.
 *
 * Everything here is synchronous: the load generator is a process of its own
 * with nothing else to do, so it sleeps in epoll_wait and nowhere else.
 *
 * @example
 * ```ts ignore
 * import { PingPong } from "./pingpong.ts";
 * const server = { family: "ipv4", host: "127.0.0.1", port: 7007 } as const;
 * const load = new PingPong(server, 5_000);
 * load.open(100);
 * const { roundTrips } = load.run(64, 1_000);
 * console.log(roundTrips, load.latencies.percentiles());
 * load.closeAll();
 * ```
 *
 * @module
 */
import { libc } from "../shared/libc.ts";
import {
  epollCreate1,
  epollCtl,
  EpollEvents,
  epollWait,
} from "../shared/epoll.ts";
import {
  close,
  connect,
  getsockoptInt,
  recv,
  send,
  setsockoptInt,
  socket,
} from "../shared/socket.ts";
import { errnoName, SyscallError } from "../shared/errno.ts";
import {
  EPOLL_CTL_ADD,
  EPOLL_CTL_MOD,
  EPOLLIN,
  EPOLLOUT,
  IPPROTO_TCP,
  SO_ERROR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOL_SOCKET,
  TCP_NODELAY,
} from "../shared/constants.ts";
import type { SocketAddress } from "../shared/sockaddr.ts";
import { LatencyLog } from "./stats.ts";
import type { ErrorCounts } from "./results.ts";

/** Called about every 250 ms while connecting or pinging (never during a
 * measured run); returning a reason stops the phase early. */
export type Watchdog = () => string | null;

/** What a timed run achieved. */
export interface RunResult {
  roundTrips: number;
  /** Payload bytes echoed back (one direction). */
  bytes: number;
  seconds: number;
}

// Connection states, indexed by fd.
const FREE = 0, CONNECTING = 1, IDLE = 2, BUSY = 3;
// Payloads are slices of this pool at random offsets, one of SLICES picked at
// random per message: consecutive messages differ, so an echo of stale or
// reordered bytes cannot pass the check. The slices are made once per size:
// no allocation per message.
const POOL_SIZE = 1 << 20;
const SLICES = 4096;
const MAX_FD = 1 << 16;

/** Many connections to one server, each with one message in flight. */
export class PingPong {
  /** Latencies (µs) of completed round trips while `record` was on. */
  readonly latencies: LatencyLog = new LatencyLog();
  /** Every failure so far, by kind. */
  readonly errors: ErrorCounts = {};
  /** The first failure's message, for the report. */
  firstError: string | null = null;

  readonly #epfd = epollCreate1();
  readonly #events = new EpollEvents(1024);
  readonly #pool = randomPool();
  readonly #scratch = new Uint8Array(64 * 1024);
  readonly #live = new Set<number>();
  // Per-connection state as typed arrays indexed by fd: no object per
  // connection, no garbage in the hot loop.
  readonly #state = new Uint8Array(MAX_FD);
  readonly #wantsOut = new Uint8Array(MAX_FD);
  readonly #slice = new Int32Array(MAX_FD);
  #slices: Uint8Array[] = [];
  #sizeBig = 64n;
  readonly #sent = new Int32Array(MAX_FD);
  readonly #received = new Int32Array(MAX_FD);
  readonly #since = new Float64Array(MAX_FD);
  #random = 0x9e3779b9;
  #busy = 0;
  #size = 64;
  #issuing = false;
  #record = false;
  #roundTrips = 0;
  #bytes = 0;
  #lastEcho = 0;
  #stopReason: string | null = null;

  /** `timeoutMs` is how long a handshake may take, and how long the echoes
   * still awaited may all stay silent before they count as failed. */
  constructor(readonly address: SocketAddress, readonly timeoutMs: number) {}

  /** Why the watchdog stopped a phase, if it did. */
  get stopReason(): string | null {
    return this.#stopReason;
  }

  /** Connections open and answering so far. */
  get live(): number {
    return this.#live.size;
  }

  /** Opens `count` more connections, at most `pending` handshakes at a time
   * (a burst of thousands would overflow the server's listen backlog and
   * turn into SYN retransmits, a second each). Returns how many connected. */
  open(count: number, watchdog?: Watchdog, pending = 256): number {
    let started = 0, connected = 0, inFlight = 0;
    const connecting = new Set<number>();
    let nextCheck = performance.now() + 250;
    while (started < count || inFlight > 0) {
      while (started < count && inFlight < pending) {
        started++;
        const fd = this.#startConnect();
        if (fd === null) continue;
        if (this.#state[fd] === IDLE) connected++;
        else inFlight++, connecting.add(fd);
      }
      const n = epollWait(this.#epfd, this.#events, 10);
      for (let i = 0; i < n; i++) {
        const fd = this.#events.fd(i);
        // A connected peer that speaks now (EOF, say: a server refusing
        // more clients by closing them) is dealt with as in a run.
        if (this.#state[fd] === IDLE) this.#receive(fd);
        if (this.#state[fd] !== CONNECTING) continue;
        inFlight--;
        connecting.delete(fd);
        // The handshake ended; SO_ERROR says how.
        const code = getsockoptInt(fd, SOL_SOCKET, SO_ERROR);
        if (code !== 0) {
          this.#fail(fd, `connect (${errnoName(code)})`);
          continue;
        }
        this.#state[fd] = IDLE;
        epollCtl(this.#epfd, EPOLL_CTL_MOD, fd, EPOLLIN);
        connected++;
      }
      const now = performance.now();
      if (now < nextCheck) continue;
      nextCheck = now + 250;
      for (const fd of connecting) {
        if (now - this.#since[fd] < this.timeoutMs) continue;
        inFlight--;
        connecting.delete(fd);
        this.#fail(fd, "connect timeout");
      }
      if (this.#stopped(watchdog)) {
        for (const fd of connecting) this.#fail(fd, "connect abandoned");
        break;
      }
    }
    return connected;
  }

  /** Sends one `size`-byte message on every idle connection and waits for
   * the echoes; returns how many came back intact. */
  ping(size: number, watchdog?: Watchdog): number {
    const before = this.#roundTrips;
    this.#resize(size);
    for (const fd of [...this.#live]) {
      if (this.#state[fd] === IDLE) this.#start(fd, performance.now());
    }
    this.#drain(watchdog);
    return this.#roundTrips - before;
  }

  /** Ping-pong on every connection for `durationMs`, then waits for the
   * messages still in flight (so a round ends with every connection idle).
   * With `record`, latencies go to {@linkcode latencies}. */
  run(size: number, durationMs: number, record = false): RunResult {
    const started = performance.now();
    const [trips, bytes] = [this.#roundTrips, this.#bytes];
    this.#resize(size);
    this.#record = record;
    this.#issuing = true;
    for (const fd of [...this.#live]) {
      if (this.#state[fd] === IDLE) this.#start(fd, started);
    }
    const until = started + durationMs;
    while (this.#busy > 0 && performance.now() < until) this.#poll(10);
    this.#issuing = false;
    this.#drain();
    this.#record = false;
    return {
      roundTrips: this.#roundTrips - trips,
      bytes: this.#bytes - bytes,
      seconds: (performance.now() - started) / 1000,
    };
  }

  /** Waits `ms` without sending: the connections stay open and quiet (any
   * byte or close from the server still counts as an error). */
  pause(ms: number): void {
    const until = performance.now() + ms;
    for (let now; (now = performance.now()) < until;) {
      this.#poll(Math.ceil(until - now));
    }
  }

  /** Closes every connection (a FIN each: the servers see a clean end). */
  closeAll(): void {
    for (const fd of this.#live) this.#release(fd);
  }

  /** Closes the epoll instance; the object is done. */
  dispose(): void {
    this.closeAll();
    close(this.#epfd);
  }

  #resize(size: number) {
    if (size === this.#size && this.#slices.length) return;
    this.#size = size;
    this.#sizeBig = BigInt(size);
    this.#slices = [];
    for (let i = 0; i < SLICES; i++) {
      const offset = this.#next() % (POOL_SIZE - size + 1);
      this.#slices.push(this.#pool.subarray(offset, offset + size));
    }
  }

  /** xorshift32: cheap pseudo-random numbers. */
  #next(): number {
    let x = this.#random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return this.#random = x >>> 0;
  }

  // Waits for the messages in flight as long as echoes keep coming (a server
  // starting a thread or a process per connection is slow, not stuck); fails
  // those still out once none has come back for `timeoutMs`, or after 60 s.
  #drain(watchdog?: Watchdog) {
    const started = performance.now();
    this.#lastEcho = started;
    let nextCheck = started + 250;
    while (this.#busy > 0) {
      const now = performance.now();
      if (now - this.#lastEcho >= this.timeoutMs) break;
      if (now - started >= 60_000) break;
      if (now >= nextCheck) {
        nextCheck = now + 250;
        if (this.#stopped(watchdog)) break;
      }
      this.#poll(10);
    }
    for (const fd of [...this.#live]) {
      if (this.#state[fd] !== BUSY) continue;
      this.#fail(
        fd,
        this.#stopReason
          ? "echo abandoned (probe stopped)"
          : `no echo within ${this.timeoutMs / 1000} s`,
      );
    }
  }

  // Asks the watchdog, once it has said stop, every later phase stops too
  // (and the reason is counted once).
  #stopped(watchdog?: Watchdog): boolean {
    if (this.#stopReason) return true;
    this.#stopReason = watchdog?.() ?? null;
    if (this.#stopReason) this.#count(this.#stopReason);
    return this.#stopReason !== null;
  }

  #poll(timeoutMs: number) {
    const n = epollWait(this.#epfd, this.#events, timeoutMs);
    for (let i = 0; i < n; i++) {
      const fd = this.#events.fd(i);
      const state = this.#state[fd];
      if (state === FREE) continue; // failed earlier in this batch
      const events = this.#events.events(i);
      if (events & EPOLLOUT && state === BUSY) this.#flush(fd);
      if (events & ~EPOLLOUT && this.#state[fd] !== FREE) this.#receive(fd);
    }
  }

  #startConnect(): number | null {
    let fd: number;
    try {
      fd = socket(this.address.family, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } catch (error) {
      // Our own limit (EMFILE here), not the server's: reported as such.
      this.#count(`loadgen socket (${codeOf(error)})`);
      return null;
    }
    this.#live.add(fd);
    this.#since[fd] = performance.now();
    try {
      // One message in flight and nothing queued behind it: Nagle's delay
      // would only ever add latency here.
      setsockoptInt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
      const done = connect(fd, this.address);
      this.#state[fd] = done ? IDLE : CONNECTING;
      epollCtl(this.#epfd, EPOLL_CTL_ADD, fd, done ? EPOLLIN : EPOLLOUT);
      return fd;
    } catch (error) {
      this.#fail(fd, `connect (${codeOf(error)})`);
      return null;
    }
  }

  #start(fd: number, now: number) {
    this.#slice[fd] = this.#next() % SLICES;
    this.#sent[fd] = 0;
    this.#received[fd] = 0;
    this.#since[fd] = now;
    this.#state[fd] = BUSY;
    this.#busy++;
    this.#flush(fd);
  }

  // Sends what is left of the message; waits for EPOLLOUT when the socket's
  // send buffer is full (a 4 KiB message nearly always goes in one call).
  #flush(fd: number) {
    const size = this.#size, slice = this.#slices[this.#slice[fd]];
    let sent = this.#sent[fd];
    try {
      while (sent < size) {
        const n = send(fd, sent ? slice.subarray(sent) : slice);
        if (n === null) break;
        sent += n;
      }
    } catch (error) {
      this.#fail(fd, `reset (${codeOf(error)})`);
      return;
    }
    this.#sent[fd] = sent;
    const wantsOut = sent < size ? 1 : 0;
    if (wantsOut !== this.#wantsOut[fd]) {
      this.#wantsOut[fd] = wantsOut;
      epollCtl(
        this.#epfd,
        EPOLL_CTL_MOD,
        fd,
        wantsOut ? EPOLLIN | EPOLLOUT : EPOLLIN,
      );
    }
  }

  #receive(fd: number) {
    let n: number | null;
    try {
      n = recv(fd, this.#scratch);
    } catch (error) {
      this.#fail(fd, `reset (${codeOf(error)})`);
      return;
    }
    if (n === null) return;
    if (n === 0) {
      this.#fail(fd, "closed by server");
      return;
    }
    const got = this.#received[fd];
    // Usually the whole echo arrives in one piece: compare it with the slice
    // as it is; otherwise with the part of it this piece should be.
    const whole = got === 0 && n === this.#size;
    const expected = whole
      ? this.#slices[this.#slice[fd]]
      : this.#slices[this.#slice[fd]].subarray(got, got + n);
    if (
      this.#state[fd] !== BUSY || got + n > this.#sent[fd] ||
      libc.memcmp(
          this.#scratch,
          expected,
          whole ? this.#sizeBig : BigInt(n),
        ) !==
        0
    ) {
      this.#fail(fd, "wrong bytes echoed");
      return;
    }
    this.#received[fd] = got + n;
    if (got + n < this.#size) return;
    // The whole message is back: one round trip.
    const now = performance.now();
    this.#lastEcho = now;
    this.#roundTrips++;
    this.#bytes += this.#size;
    this.#busy--;
    this.#state[fd] = IDLE;
    if (this.#record) this.latencies.add((now - this.#since[fd]) * 1000);
    if (this.#issuing) this.#start(fd, now);
  }

  #fail(fd: number, kind: string) {
    this.#count(kind);
    this.#release(fd);
  }

  #count(kind: string) {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
    this.firstError ??= kind;
  }

  #release(fd: number) {
    if (this.#state[fd] === BUSY) this.#busy--;
    this.#state[fd] = FREE;
    this.#wantsOut[fd] = 0;
    this.#live.delete(fd);
    close(fd); // also removes it from the epoll set
  }
}

/** POOL_SIZE random bytes (getRandomValues fills at most 64 KiB a call). */
function randomPool(): Uint8Array {
  const pool = new Uint8Array(POOL_SIZE);
  for (let off = 0; off < POOL_SIZE; off += 65536) {
    crypto.getRandomValues(pool.subarray(off, off + 65536));
  }
  return pool;
}

function codeOf(error: unknown): string {
  return error instanceof SyscallError ? error.code : String(error);
}
