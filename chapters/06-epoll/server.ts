/**
 * Chapter 06: the epoll echo server. One thread, any number of connections.
 * The kernel keeps the list of sockets we care about (the interest list) and,
 * whenever one of them changes state, puts it on a ready list; `epoll_wait`
 * sleeps until that list is non-empty and hands it to us. So each wake-up
 * costs time in proportion to the sockets that are ready, not to the sockets
 * that are open.
 *
 * Level-triggered by default (epoll says "readable" for as long as there is
 * something to read); `--edge` switches to edge-triggered (epoll says
 * "readable" once per arrival, so each report must be drained: the rule is
 * at the end of `echo`, and the README's "Level-triggered and
 * edge-triggered" measures it).
 *
 * Run: deno task server [--host H] [--port P]
 *      deno task server:edge
 *
 * @module
 */
import { announceListening, fatal, parseCli } from "@echo-lab/shared/cli";
import { SOCK_CLOEXEC, SOCK_NONBLOCK } from "@echo-lab/shared/constants";
import {
  EPOLL_CTL_ADD,
  EPOLL_CTL_MOD,
  epollCreate1,
  epollCtl,
  EPOLLERR,
  EPOLLET,
  EpollEvents,
  EPOLLHUP,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  epollWait,
} from "@echo-lab/shared/epoll";
import { ECONNABORTED, isPeerGone, SyscallError } from "@echo-lab/shared/errno";
import { listenOrExit } from "@echo-lab/shared/listen";
import { accept4, close, recv, send } from "@echo-lab/shared/socket";
import { watchStopSignals } from "@echo-lab/shared/stop_signal";

// Everything the loop needs before its first wait, set up at the bottom of
// this file: the listening socket, the epoll instance watching it, and the
// watchdog that turns SIGINT/SIGTERM into a wake-up.
const { flags, TRIGGER, listener, epfd, stop } = setUp();
const NONBLOCKING = SOCK_NONBLOCK | SOCK_CLOEXEC;
// The conditions that, once true, stay true and never make a new edge.
const FINAL = EPOLLRDHUP | EPOLLHUP | EPOLLERR;

// #region state
/** What we remember about one client between wake-ups. */
interface Connection {
  /** The events we have registered for it: EPOLLIN, or EPOLLOUT while
   * `pending` holds an echo the socket had no room for. */
  interest: number;
  pending: Uint8Array | null;
}

// Indexed by fd: the kernel hands out the lowest free number, so this array
// stays as dense as the number of open connections.
const connections: (Connection | undefined)[] = [];
// Allocated once: the event array epoll_wait fills and the one buffer every
// read lands in. The echo path creates no objects of ours; only a partial
// send copies its leftover bytes.
const events = new EpollEvents(512);
const buffer = new Uint8Array(64 * 1024);
// While accepting is paused (EMFILE), epoll_wait needs a deadline.
let acceptPausedUntil = 0;
// #endregion

// #region loop
// #region exercise-loop
while (!stop.requested) {
  const timeout = acceptPausedUntil === 0
    ? -1
    : Math.max(0, acceptPausedUntil - Date.now());
  // The only place this thread sleeps. The kernel fills `events` with the
  // sockets that became ready (no more than 512 per call) and returns how
  // many; every other open socket costs nothing here.
  const ready = epollWait(epfd, events, timeout);
  if (stop.requested) break;
  if (acceptPausedUntil !== 0 && Date.now() >= acceptPausedUntil) {
    resumeAccepting();
  }
  for (let i = 0; i < ready; i++) {
    const fd = events.fd(i);
    if (fd === listener.fd) acceptAll();
    else serve(fd, connections[fd]!, events.events(i));
  }
}
// #endregion
closeEverything();
Deno.exit(0);
// #endregion

// #region accept
/** Takes every queued connection. Edge-triggered, this is required: the
 * listener reported "readable" once, and connections left in the queue will
 * not be reported again until yet another arrives. Level-triggered it just
 * saves wake-ups. */
function acceptAll(): void {
  for (;;) {
    let fd: number | null;
    try {
      fd = accept4(listener.fd, NONBLOCKING);
    } catch (error) {
      if (stop.requested) return; // the watchdog shut the listener down
      if (error instanceof SyscallError && error.errno === ECONNABORTED) {
        continue; // that client gave up while queued; take the next one
      }
      // EMFILE, ENFILE, ENOBUFS: the connection stays queued and the listener
      // stays readable. Retrying now would spin at 100% CPU, so stop watching
      // the listener for a moment (the loop wakes up to resume).
      console.error(`accept: ${(error as Error).message}; pausing 100 ms`);
      pauseAccepting();
      return;
    }
    if (fd === null) return; // EAGAIN: the queue is empty
    try {
      epollCtl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN | TRIGGER);
    } catch (error) {
      close(fd); // ENOMEM or ENOSPC (max_user_watches): turn this one away
      console.error((error as Error).message);
      continue;
    }
    connections[fd] = { interest: EPOLLIN, pending: null };
  }
}
// #endregion

// #region serve
// #region exercise-serve
/** One ready client. Whatever epoll reported (readable, writable, hang-up,
 * error), the answer is to try the operation we were waiting for: the call
 * itself returns the data, EAGAIN, end of stream or the error. */
function serve(fd: number, connection: Connection, ready: number): void {
  try {
    if (connection.pending !== null) flush(fd, connection);
    else echo(fd, connection, ready);
  } catch (error) {
    // A peer that left abruptly (a reset, a broken pipe) is routine.
    // Anything else is worth a line. Either way only this connection ends.
    if (!isPeerGone(error)) console.error(String(error));
    drop(fd);
  }
}

/** Reads and echoes. Level-triggered: one read per wake-up, because epoll
 * will report the socket again while bytes remain, and one busy client cannot
 * starve the rest. Edge-triggered: read until the socket is drained, because
 * the next report comes only when new bytes arrive. */
function echo(fd: number, connection: Connection, ready: number): void {
  let n: number | null;
  do {
    // The copy from the kernel's receive buffer into ours happens here.
    n = recv(fd, buffer);
    if (n === null) return; // EAGAIN: nothing left to read
    if (n === 0) return drop(fd); // FIN: all echoed (nothing was pending)
    // Straight back out of the same buffer. A short count means the send
    // buffer is full (the peer is not reading fast enough): keep the rest,
    // and stop reading from this peer until it has gone. That is our
    // backpressure.
    const sent = send(fd, buffer, 0, n) ?? 0;
    if (sent < n) {
      connection.pending = buffer.slice(sent, n);
      watch(fd, connection, EPOLLOUT);
      return;
    }
    // Edge-triggered, "until drained" need not mean "until EAGAIN": a recv
    // that did not fill the buffer took every byte queued, and bytes that
    // arrive after it are a new edge, reported again. That saves the recv
    // that would only say EAGAIN: one system call in three on a small echo.
    // Not so a FIN, a reset or an error that came with this report: they
    // make no new edge, and a short recv leaves them unread. Then (FINAL)
    // read on until recv says so.
  } while (flags.edge && (n === buffer.byteLength || (ready & FINAL) !== 0));
}

/** The socket has room again: send what is pending, then go back to
 * reading. One send is enough, in both modes: a short count means the buffer
 * is full again, and the kernel has noted that we wait for room, so EPOLLOUT
 * comes back when ACKs free some. The epoll_ctl that switches to EPOLLIN
 * re-checks readiness, so bytes that arrived meanwhile are reported on the
 * next wait, even edge-triggered. */
function flush(fd: number, connection: Connection): void {
  const pending = connection.pending!;
  const sent = send(fd, pending) ?? 0;
  if (sent < pending.byteLength) {
    connection.pending = pending.subarray(sent);
    return;
  }
  connection.pending = null;
  watch(fd, connection, EPOLLIN);
}
// #endregion
// #endregion

// #region helpers
/** Changes what epoll watches `fd` for, with one epoll_ctl, only when it
 * changes. EPOLLOUT is in the set only while output is pending: a socket
 * with an empty send buffer is writable all the time, and a level-triggered
 * wait would return at once, forever. */
function watch(fd: number, connection: Connection, interest: number): void {
  if (connection.interest === interest) return;
  epollCtl(epfd, EPOLL_CTL_MOD, fd, interest | TRIGGER);
  connection.interest = interest;
}

/** Closes one client. close(2) also takes it out of the epoll interest list
 * (it was the only descriptor for that socket), so no EPOLL_CTL_DEL. */
function drop(fd: number): void {
  connections[fd] = undefined;
  close(fd);
}

/** Takes the listener out of the ready reports: events 0. (EPOLLHUP is
 * always reported, so a stop signal still wakes us.) */
function pauseAccepting(): void {
  epollCtl(epfd, EPOLL_CTL_MOD, listener.fd, TRIGGER);
  acceptPausedUntil = Date.now() + 100;
}

function resumeAccepting(): void {
  acceptPausedUntil = 0;
  epollCtl(epfd, EPOLL_CTL_MOD, listener.fd, EPOLLIN | TRIGGER);
}

function closeEverything(): void {
  connections.forEach((connection, fd) => connection && drop(fd));
  stop.release(listener.fd);
  close(listener.fd);
  close(epfd);
  stop.close();
}
// #endregion

/** Parses the command line and sets up what the loop needs; on a bad
 * argument or a failed call, one line on stderr and exit. */
function setUp() {
  const { address, flags } = parseCli(Deno.args, {
    usage: "deno task server",
    summary:
      "Echo server on epoll: one thread, one epoll_wait for every socket.",
    flags: {
      edge: {
        type: "boolean",
        description:
          "edge-triggered epoll (drain every report: read to a short recv, accept to EAGAIN)",
      },
    },
  });

  // #region setup
  // EPOLLET is a flag on each registration: the same program becomes
  // edge-triggered by or-ing it into every epoll_ctl. Edge-triggered, we
  // also ask for EPOLLRDHUP, "the peer sent FIN", which `echo` needs.
  const TRIGGER = flags.edge ? EPOLLET | EPOLLRDHUP : 0;

  const listener = listenOrExit(address, {
    flags: SOCK_NONBLOCK | SOCK_CLOEXEC,
    // One descriptor per client: 5,000 clients need more than the usual soft
    // limit of 1,024, so take everything the hard limit allows.
    raiseFdLimit: true,
  });
  let epfd: number;
  try {
    epfd = epollCreate1();
    epollCtl(epfd, EPOLL_CTL_ADD, listener.fd, EPOLLIN | TRIGGER);
  } catch (error) {
    fatal(error);
  }
  // SIGINT/SIGTERM: the watchdog thread shuts the listener down, and epoll
  // reports the dead listener (EPOLLHUP) at once, waking the loop above.
  const stop = watchStopSignals();
  stop.guard(listener.fd);
  announceListening(listener.address);
  // #endregion
  return { flags, TRIGGER, listener, epfd, stop };
}
