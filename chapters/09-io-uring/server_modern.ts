/**
 * Chapter 09, the modern variant: io_uring as Linux 6.1 means it to be used.
 * `server.ts` asks the kernel for one thing at a time per connection ("receive
 * into this buffer", then "send these bytes") and asks again after each
 * answer. Here most requests are made once and answer many times:
 *
 * - one multishot accept completes once per new client (Linux 5.19);
 * - one multishot recv per client completes once per arrival of bytes, into
 *   a buffer the kernel picks from a pool we share with it, a provided
 *   buffer ring, so an idle client holds no buffer at all (6.0);
 * - the ring is single-issuer with deferred task work: the kernel finishes
 *   requests only when we ask for completions, in one batch, instead of
 *   interrupting us whenever a packet lands (6.1);
 * - the ring's fd is registered, so io_uring_enter skips the fd lookup (5.18).
 *
 * Still one thread, still io_uring_enter as the only system call on the echo
 * path. The README compares the two designs and measures them.
 *
 * With `--sqpoll` (`deno task server:sqpoll`) a kernel thread polls the
 * submission queue instead (IORING_SETUP_SQPOLL), so submitting needs no
 * system call either, at the price of that thread's core; it rules out
 * deferred task work. Each feature is asked for, and one the kernel refuses
 * is dropped with a line saying so; the form that runs is printed after the
 * ready line.
 *
 * With `--zero-copy` (`deno task server:zc`) each echo leaves by
 * IORING_OP_SEND_ZC (6.0) instead of IORING_OP_SEND: the kernel does not
 * copy the bytes out of our pool into socket pages but pins the pool's pages
 * and lends them to the packets, and a second completion says when it has let
 * go of them (io_uring_prep_send_zc(3)). Until then the buffer stays out of
 * the pool. The README's "When zero-copy send pays" measures what that buys.
 *
 * Run: deno task server:modern [--host H] [--port P] [--sqpoll] [--zero-copy]
 *
 * @module
 */
import { announceListening, parseCli } from "@echo-lab/shared/cli";
import {
  IPPROTO_TCP,
  MSG_NOSIGNAL,
  SOCK_CLOEXEC,
  TCP_NODELAY,
} from "@echo-lab/shared/constants";
import {
  ECANCELED,
  ECONNABORTED,
  ENOBUFS,
  isPeerGone,
  SyscallError,
} from "@echo-lab/shared/errno";
import {
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IORING_CQE_F_MORE,
  IORING_SETUP_SQPOLL,
  IoUring,
  timespec,
} from "./io_uring.ts";
import {
  bufferId,
  BufferRing,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  prepAcceptMultishot,
  prepRecvMultishot,
  registerRingFd,
} from "./io_uring_modern.ts";
import { announceForm, ECHO_OPCODES, probe, type Support } from "./probe.ts";
import {
  IORING_CQE_F_NOTIF,
  IORING_OP_SEND_ZC,
  prepSendZc,
  registerBuffers,
} from "./zero_copy.ts";
import { exitUnsupported } from "@echo-lab/shared/platform";
import { listenOrExit } from "@echo-lab/shared/listen";
import { close, setsockoptInt } from "@echo-lab/shared/socket";
import { watchStopSignals } from "@echo-lab/shared/stop_signal";

const { address, flags } = parseCli(Deno.args, {
  usage: "deno task server:modern",
  summary: "Echo server on io_uring with multishot requests and buffer rings.",
  flags: {
    sqpoll: {
      type: "boolean",
      description: "a kernel thread polls the submission queue (SQPOLL)",
    },
    "zero-copy": {
      type: "boolean",
      description: "echo with zero-copy sends (IORING_OP_SEND_ZC)",
    },
  },
});

// The pool every client's bytes land in: 4,096 buffers of 4 KiB (16 MiB).
// A client may hold 4 of them unsent before we stop reading from it.
const BUFFERS = 4096, BUFFER_SIZE = 4096, MAX_HELD = 4, GROUP = 0;
const { ring, buffers, listener, stop, zeroCopy } = setUp();

// #region user-data
// A request's 32-bit tag: its kind in the low 3 bits, the client's fd above.
// The fd is a safe name: a connection is closed only once no request naming
// it is in flight, so no completion can arrive for a reused fd number. A
// zero-copy send is the exception: its notification may come after the
// connection is closed and its fd reused, so its tag names the buffer, which
// is not reused before that notification.
const ACCEPT = 0, RECV = 1, SEND = 2, RETRY_ACCEPT = 3, CANCEL = 4;
const SEND_ZC = 5;
const tag = (kind: number, name: number) => (name << 3) | kind;
// #endregion

// #region state
/** One client: the buffers it filled that are not yet echoed, as a queue
 * from `first` to `last` (-1: empty), and which of its requests are in
 * flight. */
class Connection {
  first = -1;
  last = -1;
  held = 0;
  /** Bytes of the `first` buffer already sent. */
  sent = 0;
  receiving = false; // its multishot recv is armed
  cancelling = false; // and we asked the kernel to disarm it
  sending = false; // a send is in flight
  starved = false; // its recv ended for want of buffers (ENOBUFS)
  ended = false; // FIN, an error, or shutdown: no more reading
  constructor(readonly fd: number) {}
}

// A buffer is in at most one connection's queue at a time, so the queue
// links live with the buffers: how many bytes each holds, and the next
// buffer in the same queue. Nothing on the echo path allocates.
const filled = new Int32Array(BUFFERS);
const next = new Int32Array(BUFFERS);
// Zero-copy sends only: whose socket a buffer is being sent on, how many
// notifications for it are still to come (the kernel still holds its pages),
// and whether it goes back to the pool when the last one arrives.
const sender = new Int32Array(BUFFERS);
const lent = new Int32Array(BUFFERS);
const echoed = new Uint8Array(BUFFERS);
/** Notifications still to come, over all buffers. */
let lentOut = 0;
// Indexed by fd, as in chapter 06: the kernel hands out the lowest free one.
const connections: (Connection | undefined)[] = [];
let open = 0;
/** Clients whose recv found the pool empty, waiting for a free buffer. */
const starved: Connection[] = [];
/** Buffers in the pool as far as the completions read so far tell: given
 * back, and not yet reported filled by a recv. */
let pooled = BUFFERS;
/** True while the accept (or the timer before re-arming it) is in flight. */
let accepting = true;
const ACCEPT_BACKOFF = timespec(100);
// #endregion

// #region loop
prepAcceptMultishot(ring, listener.fd, SOCK_CLOEXEC, tag(ACCEPT, 0));
while (!stop.requested) {
  // Every buffer freed and every request queued while handling the last
  // batch goes to the kernel now: the buffers by one store to the buffer
  // ring's tail, the requests in this one io_uring_enter, which then sleeps
  // until something completes. With DEFER_TASKRUN it is also here, and only
  // here, that the kernel runs the work that turns arrived packets into
  // completions: our JavaScript is never interrupted for it.
  buffers.publish();
  ring.submitAndWait(1);
  ring.forEachCompletion(complete);
}
shutDown();
// #endregion

// #region complete
/** One completion. A multishot request completes many times; `flags` says
 * whether it is still armed (IORING_CQE_F_MORE) and which buffer a recv
 * filled. */
function complete(userData: number, result: number, flags: number): void {
  const fd = userData >>> 3; // for SEND_ZC, the buffer's id
  switch (userData & 7) {
    case ACCEPT:
      return accepted(result, (flags & IORING_CQE_F_MORE) !== 0);
    case RECV:
      return received(connections[fd]!, result, flags);
    case SEND:
      return sent(connections[fd]!, result);
    case SEND_ZC:
      return sentZeroCopy(fd, result, flags);
    case RETRY_ACCEPT: // the backoff timer fired, or was cancelled
      return acceptAgain();
    case CANCEL: // each cancelled request reports for itself
      return;
  }
}
// #endregion

// #region accept
function accepted(result: number, armed: boolean): void {
  accepting = armed;
  if (stop.requested) {
    if (result >= 0) close(result); // slipped in as we stopped
    return;
  }
  if (result >= 0) {
    const connection = new Connection(result);
    connections[result] = connection;
    open++;
    settle(connection);
  } else if (result !== -ECONNABORTED) {
    report("accept", result);
  }
  if (armed) return;
  // A multishot accept disarms itself on an error. EMFILE and friends
  // would fail again at once: re-arm in 100 ms (a timer in the ring, so
  // every open connection is served meanwhile).
  accepting = true;
  if (result >= 0 || result === -ECONNABORTED) acceptAgain();
  else ring.prepTimeout(ACCEPT_BACKOFF, tag(RETRY_ACCEPT, 0));
}

function acceptAgain(): void {
  accepting = !stop.requested;
  if (accepting) {
    prepAcceptMultishot(ring, listener.fd, SOCK_CLOEXEC, tag(ACCEPT, 0));
  }
}
// #endregion

// #region echo
/** Bytes arrived, already copied into buffer `bufferId(flags)`; or the recv
 * ended (no IORING_CQE_F_MORE): FIN (0), an empty pool, our cancel, an
 * error. */
function received(c: Connection, result: number, flags: number): void {
  if (!(flags & IORING_CQE_F_MORE)) c.receiving = c.cancelling = false;
  if (result > 0) {
    const id = bufferId(flags);
    pooled--;
    filled[id] = result;
    next[id] = -1;
    if (c.last < 0) c.first = id;
    else next[c.last] = id;
    c.last = id;
    c.held++;
  } else if (result === -ENOBUFS && pooled === 0) {
    c.starved = true;
    starved.push(c);
  } else if (result === -ENOBUFS) {
    // The pool was empty when the kernel looked, but buffers have come back
    // since, in this batch, before we read this: they woke nobody, since
    // nobody was waiting yet, so settle arms the recv again at once.
  } else if (result !== -ECANCELED) {
    // 0 is the peer's FIN: what it sent before is queued, and is echoed
    // before we close. A reset is routine; anything else is worth a line.
    if (result < 0) report("recv", result);
    c.ended = true;
  }
  settle(c);
}

function sent(c: Connection, result: number): void {
  c.sending = false;
  if (result < 0) {
    if (result !== -ECANCELED) report("send", result);
    c.ended = true;
    giveAllBack(c); // nobody to echo to
  } else if ((c.sent += result) === filled[c.first]) {
    // The oldest buffer is echoed: back to the pool. (Otherwise a short
    // send: the socket took part, and settle sends the rest.)
    release(dequeue(c));
    c.sent = 0;
  }
  settle(c);
}

/** After anything happened to `c`: decide what should be in flight for it.
 * At most one send at a time, so echoes leave in order; a recv armed while
 * it holds fewer than MAX_HELD unsent buffers (that is the backpressure:
 * a client that does not read its echoes stops being read); and the socket
 * closed once it has ended and nothing of it is in flight. */
function settle(c: Connection): void {
  const wantRecv = !c.ended && !c.starved && !stop.requested &&
    c.held < MAX_HELD;
  if (wantRecv && !c.receiving) {
    prepRecvMultishot(ring, c.fd, GROUP, tag(RECV, c.fd));
    c.receiving = true;
  } else if (!wantRecv && c.receiving && !c.cancelling && !stop.requested) {
    // Disarm it: the cancel completes it with -ECANCELED (shutDown cancels
    // every request at once instead).
    ring.prepCancel(tag(RECV, c.fd), 0, tag(CANCEL, 0));
    c.cancelling = true;
  }
  if (!c.sending && c.first >= 0) {
    send(c);
    c.sending = true;
  }
  if ((c.ended || stop.requested) && !c.receiving && !c.sending) finish(c);
}

/** Takes the oldest buffer off `c`'s queue. */
function dequeue(c: Connection): number {
  const id = c.first;
  c.first = next[id];
  if (c.first < 0) c.last = -1;
  c.held--;
  return id;
}

function giveAllBack(c: Connection): void {
  while (c.first >= 0) release(dequeue(c));
}

/** A buffer is free: back into the pool (published at the top of the loop),
 * and a client that starved for one may read again. */
function giveBack(id: number): void {
  buffers.provide(id);
  pooled++;
  const waiting = starved.pop();
  if (waiting && connections[waiting.fd] === waiting) {
    waiting.starved = false;
    settle(waiting);
  }
}

/** A failed request's error on stderr, unless the peer just left abruptly
 * (a reset, a broken pipe): that is routine. */
function report(call: string, result: number): void {
  const error = new SyscallError(call, -result);
  if (!isPeerGone(error)) console.error(error.message);
}

function finish(c: Connection): void {
  giveAllBack(c);
  connections[c.fd] = undefined;
  open--;
  close(c.fd);
}
// #endregion

// #region zero-copy
/** Sends what is left of `c`'s oldest buffer, from the pool buffer itself:
 * copied by the kernel (IORING_OP_SEND) or lent to it (IORING_OP_SEND_ZC). */
function send(c: Connection): void {
  const id = c.first;
  const at = id * BUFFER_SIZE + c.sent;
  const length = filled[id] - c.sent;
  // MSG_NOSIGNAL: a peer that has gone is -EPIPE, never a SIGPIPE.
  if (!zeroCopy) {
    // The kernel copies the bytes into socket buffers of its own before
    // this completes (tcp_sendmsg): the pool buffer is free at once.
    ring.prepSend(
      c.fd,
      buffers.memory,
      at,
      length,
      MSG_NOSIGNAL,
      tag(SEND, c.fd),
    );
    return;
  }
  // The kernel pins these pages and hangs them on the packets as they are
  // (io_send_zc in io_uring/net.c, through the socket's MSG_ZEROCOPY path);
  // they stay the kernel's until the notification. On loopback they are
  // copied after all, when the packet reaches the receiving socket
  // (Documentation/networking/msg_zerocopy.rst, "Loopback").
  sender[id] = c.fd;
  prepSendZc(
    ring,
    c.fd,
    buffers.memory,
    at,
    length,
    MSG_NOSIGNAL,
    tag(SEND_ZC, id),
    zeroCopy.registered ? 0 : null,
  );
}

/** A zero-copy send completes twice (io_uring_prep_send_zc(3)): first the
 * send, whose IORING_CQE_F_MORE says a notification will follow, even for
 * a failed one (io_sendrecv_fail, io_uring/net.c); then the notification,
 * IORING_CQE_F_NOTIF, once no packet refers to the buffer any more. `lent`
 * counts up on the one and down on the other, so it ends at 0 whichever
 * the kernel posts first. */
function sentZeroCopy(id: number, result: number, flags: number): void {
  if (flags & IORING_CQE_F_NOTIF) {
    lentOut--;
    if (--lent[id] === 0 && echoed[id]) {
      echoed[id] = 0;
      giveBack(id);
    }
    return;
  }
  if (flags & IORING_CQE_F_MORE) {
    lent[id]++;
    lentOut++;
  }
  sent(connections[sender[id]]!, result);
}

/** `c` is done with buffer `id`: back to the pool, unless a zero-copy send
 * still has its pages, in which case the notification gives it back. */
function release(id: number): void {
  if (lent[id] > 0) echoed[id] = 1;
  else giveBack(id);
}
// #endregion

// #region setup
function setUp() {
  const form: string[] = [], fallbacks: string[] = [];
  let ring: IoUring;
  let buffers: BufferRing;
  let zeroCopy: ZeroCopy | null = null;
  try {
    ring = ringWithFallbacks(flags.sqpoll, form, fallbacks);
    buffers = new BufferRing(ring, GROUP, BUFFERS, BUFFER_SIZE);
    form.push("multishot accept and recv", "provided buffer ring");
    // The requests this server makes, against the kernel's own list.
    const support = probe(ring);
    const missing = support.missing(ECHO_OPCODES);
    if (missing.length) throw new Error(`no ${missing.join(", ")}`);
    if (flags["zero-copy"]) {
      zeroCopy = zeroCopyWithFallbacks(ring, buffers, support, form, fallbacks);
    }
  } catch (error) {
    // ENOSYS (no io_uring), EPERM (sysctl kernel.io_uring_disabled, or a
    // container's seccomp profile), EINVAL (a kernel before 6.0).
    exitUnsupported(
      `io_uring (Linux 6.1 or later, not disabled; here ${
        (error as Error).message
      })`,
    );
  }
  const listener = listenOrExit(address, { raiseFdLimit: true });
  // An echo bigger than one pool buffer leaves as several sends, and with
  // Nagle's algorithm the kernel holds each small one back until the client
  // has acknowledged the last, which the client delays (tcp(7), TCP_NODELAY
  // and TCP_QUICKACK): each large echo would wait on a timer. Accepted
  // sockets are copies of the listener (sk_clone_lock, net/core/sock.c) and
  // keep the option, so this costs no call per client.
  setsockoptInt(listener.fd, IPPROTO_TCP, TCP_NODELAY, 1);
  // SIGINT/SIGTERM: the watchdog thread shuts the listener down, which ends
  // the multishot accept with an error: a completion, so the loop wakes.
  const stop = watchStopSignals();
  stop.guard(listener.fd);
  announceListening(listener.address);
  announceForm(form, fallbacks);
  return { ring, buffers, listener, stop, zeroCopy };
}

/** How echoes leave with `--zero-copy`: by SEND_ZC, from the pool registered
 * as fixed buffer 0 when the kernel lets us. */
interface ZeroCopy {
  registered: boolean;
}

/** SEND_ZC when the probe lists it (6.0), else plain sends, with a line.
 * Registering the pool (IORING_REGISTER_BUFFERS) pins its pages once, for
 * the ring's life, instead of on every send; it counts against
 * RLIMIT_MEMLOCK without CAP_IPC_LOCK (io_uring_register(2)), so a refusal
 * leaves each send to pin its own pages. */
function zeroCopyWithFallbacks(
  ring: IoUring,
  buffers: BufferRing,
  support: Support,
  form: string[],
  fallbacks: string[],
): ZeroCopy | null {
  if (!support.supports(IORING_OP_SEND_ZC)) {
    fallbacks.push(
      "zero-copy send refused (no IORING_OP_SEND_ZC, Linux 6.0): " +
        "every send copies",
    );
    return null;
  }
  form.push("zero-copy send");
  try {
    registerBuffers(ring, [buffers.memory]);
    form.push("registered buffer pool");
    return { registered: true };
  } catch (error) {
    fallbacks.push(
      `registered buffer pool refused (${(error as Error).message}): ` +
        "each zero-copy send pins its pages",
    );
    return { registered: false };
  }
}

/** The ring with the setup flags the kernel accepts: SQPOLL when asked for,
 * else single-issuer with deferred task work (6.1), else neither; each
 * refused set of flags is named in `fallbacks`, what runs in `form`. */
function ringWithFallbacks(
  sqpoll: boolean,
  form: string[],
  fallbacks: string[],
): IoUring {
  const tries: [flags: number, form: string, instead: string][] = [
    [
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      "single issuer, deferred task work",
      "completions are made as packets land",
    ],
    [0, "", ""],
  ];
  if (sqpoll) {
    tries.unshift([
      IORING_SETUP_SQPOLL | IORING_SETUP_SINGLE_ISSUER,
      "SQPOLL (a kernel thread takes the requests)",
      "submitting by system call",
    ]);
  }
  let ring: IoUring | undefined;
  for (const [flags, name, instead] of tries) {
    try {
      // Multishot requests can complete for every client in one turn.
      // SQPOLL's thread sleeps after 10 ms without a request, not the
      // kernel's 1 s: a server retrying accept every 100 ms at EMFILE
      // would otherwise keep it spinning a core for nothing.
      ring = IoUring.setup(1024, {
        flags,
        cqEntries: 16384,
        sqThreadIdleMs: 10,
      });
      if (name) form.push(name);
      break;
    } catch (error) {
      if (!flags) throw error;
      fallbacks.push(
        `${name} refused (${(error as Error).message}): ${instead}`,
      );
    }
  }
  try {
    registerRingFd(ring!);
    form.push("registered ring fd");
  } catch (error) {
    fallbacks.push(
      `registered ring fd refused (${(error as Error).message}): ` +
        "each io_uring_enter looks the fd up",
    );
  }
  return ring!;
}
// #endregion

// #region shutdown
/** SIGINT/SIGTERM: one request cancels every other; each completes, its
 * handler finishes its connection, and we exit once nothing is in flight
 * (the kernel must hold no reference to our buffers when we free them). */
function shutDown(): never {
  ring.prepCancel(
    0,
    IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL,
    tag(CANCEL, 0),
  );
  // Connections with nothing in flight finish at once. Notifications are not
  // requests, and no cancel hurries them: we wait for each, since until it
  // comes the kernel may still read the pool we are about to free.
  for (const c of connections) if (c) settle(c);
  while (accepting || open > 0 || lentOut > 0) {
    ring.submitAndWait(1);
    ring.forEachCompletion(complete);
  }
  stop.release(listener.fd);
  close(listener.fd);
  buffers.close(ring);
  ring.close();
  stop.close();
  Deno.exit(0);
}
// #endregion
