/**
 * One event loop on one Worker thread: chapter 06's level-triggered epoll
 * loop, with its own epoll instance, its own connections and one listener
 * to accept from. Nothing here is shared with the other loops, so nothing
 * needs a lock; the only thing they have in common is the kernel.
 *
 * Messages in: one {@linkcode LoopJob}. Messages out: `{ ready: tid }` once
 * the listener is in this loop's epoll, then a {@linkcode LoopReport} just
 * before the thread ends, after its listener hung up.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { SOCK_CLOEXEC, SOCK_NONBLOCK } from "@echo-lab/shared/constants";
import {
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  epollCreate1,
  epollCtl,
  EpollEvents,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLIN,
  EPOLLOUT,
  epollWait,
} from "@echo-lab/shared/epoll";
import {
  ECONNABORTED,
  EINVAL,
  isPeerGone,
  SyscallError,
} from "@echo-lab/shared/errno";
import { openLibc } from "@echo-lab/shared/libc";
import { accept4, close, recv, send } from "@echo-lab/shared/socket";

/** What the main thread gives a loop: its number, the listener to accept
 * from, and whether to watch that listener with EPOLLEXCLUSIVE. */
export interface LoopJob {
  id: number;
  listener: number;
  exclusive: boolean;
}

/** What a loop did, for `--stats`: connections accepted; wake-ups with the
 * listener among the ready sockets; and how many of those found nothing to
 * accept, because another loop had taken the connection first. */
export interface LoopReport {
  id: number;
  accepted: number;
  wakeups: number;
  emptyWakeups: number;
}

// #region setup
const { id, listener, exclusive } = await new Promise<LoopJob>((resolve) =>
  self.onmessage = ({ data }) => resolve(data)
);
const NONBLOCKING = SOCK_NONBLOCK | SOCK_CLOEXEC;
const epfd = epollCreate1();
watchListener();
// The thread id lets an observer find this loop in /proc/PID/task.
self.postMessage({ ready: gettid() });
// #endregion

// #region state
interface Connection {
  interest: number;
  pending: Uint8Array | null;
}
const connections: (Connection | undefined)[] = [];
const events = new EpollEvents(512);
const buffer = new Uint8Array(64 * 1024);
const report: LoopReport = { id, accepted: 0, wakeups: 0, emptyWakeups: 0 };
let acceptPausedUntil = 0;
let listening = true;
// #endregion

// #region loop
while (listening) {
  const timeout = acceptPausedUntil === 0
    ? -1
    : Math.max(0, acceptPausedUntil - Date.now());
  // This thread sleeps here, and only here, exactly as chapter 06's one
  // thread did. The other loops sleep in their own epoll_wait on their own
  // epoll instances: the kernel wakes whichever has a ready socket.
  const ready = epollWait(epfd, events, timeout);
  if (acceptPausedUntil !== 0 && Date.now() >= acceptPausedUntil) {
    acceptPausedUntil = 0;
    watchListener();
  }
  for (let i = 0; i < ready; i++) {
    const fd = events.fd(i);
    if (fd !== listener) serve(fd, connections[fd]!);
    // The stop signal: the main thread's watchdog shut the listener down,
    // and a listener that is shut down reports a hang-up.
    else if (events.events(i) & EPOLLHUP) listening = false;
    else acceptAll();
  }
}
connections.forEach((connection, fd) => connection && drop(fd));
close(epfd); // the listener is the main thread's to close
self.postMessage(report);
self.close(); // the thread ends by itself: nobody has to terminate() it
// #endregion

// #region accept
/** Takes every queued connection (one wake-up, many accepts), and counts
 * the wake-ups that found the queue already empty. */
function acceptAll(): void {
  report.wakeups++;
  for (let taken = 0;; taken++) {
    let fd: number | null;
    try {
      fd = accept4(listener, NONBLOCKING);
    } catch (error) {
      const errno = error instanceof SyscallError ? error.errno : 0;
      if (errno === ECONNABORTED) continue; // gave up while queued
      if (errno === EINVAL) return; // shut down: the hang-up comes next
      // EMFILE, ENFILE, ENOBUFS: the connection stays queued. Stop watching
      // the listener for 100 ms rather than spin on it. DEL, not chapter
      // 06's MOD: epoll_ctl(2) rejects MOD on an EPOLLEXCLUSIVE entry (EINVAL).
      console.error(`loop ${id}: accept: ${(error as Error).message}`);
      epollCtl(epfd, EPOLL_CTL_DEL, listener, 0);
      acceptPausedUntil = Date.now() + 100;
      return;
    }
    if (fd === null) {
      // EAGAIN. On the first try, this wake-up was for nothing: another
      // loop, woken by the same connection, accepted it first.
      if (taken === 0) report.emptyWakeups++;
      return;
    }
    report.accepted++;
    try {
      epollCtl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN);
    } catch (error) {
      close(fd);
      console.error(`loop ${id}: ${(error as Error).message}`);
      continue;
    }
    connections[fd] = { interest: EPOLLIN, pending: null };
  }
}
// #endregion

// #region serve
/** Chapter 06's echo, level-triggered: one recv per wake-up, the rest of a
 * short send kept until EPOLLOUT. */
function serve(fd: number, connection: Connection): void {
  try {
    if (connection.pending !== null) flush(fd, connection);
    else echo(fd, connection);
  } catch (error) {
    if (!isPeerGone(error)) console.error(`loop ${id}: ${error}`);
    drop(fd);
  }
}

function echo(fd: number, connection: Connection): void {
  const n = recv(fd, buffer);
  if (n === null) return;
  if (n === 0) return drop(fd);
  const sent = send(fd, buffer, 0, n) ?? 0;
  if (sent < n) {
    connection.pending = buffer.slice(sent, n);
    watch(fd, connection, EPOLLOUT);
  }
}

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

// #region listener
/** Puts the listener in this loop's epoll. With EPOLLEXCLUSIVE, a new
 * connection wakes one (or a few) of the epoll instances watching a shared
 * listener instead of every one. The flag is allowed with EPOLL_CTL_ADD only
 * (epoll_ctl(2)), which is why pausing deletes the listener rather than
 * modifying it as chapter 06 does. */
function watchListener(): void {
  epollCtl(
    epfd,
    EPOLL_CTL_ADD,
    listener,
    EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0),
  );
}
// #endregion

// #region helpers
/** Chapter 06's: EPOLLOUT only while a send is pending. */
function watch(fd: number, connection: Connection, interest: number): void {
  if (connection.interest === interest) return;
  epollCtl(epfd, EPOLL_CTL_MOD, fd, interest);
  connection.interest = interest;
}

/** gettid(2): this thread's id, as /proc/PID/task names it. It cannot fail. */
function gettid(): number {
  return openLibc({ gettid: { parameters: [], result: "i32" } }).gettid();
}

/** close(2) also takes the socket out of this loop's epoll. */
function drop(fd: number): void {
  connections[fd] = undefined;
  close(fd);
}
// #endregion
