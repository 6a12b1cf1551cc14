/**
 * Chapter 06: the epoll echo client. One thread, one epoll set holding stdin
 * and the socket, so neither direction can block the other: while the server
 * is slow to take our input we keep printing its echo, and the other way
 * round.
 *
 * Run: deno task client [--host H] [--port P]
 *
 * @module
 */
import { ECHO_CLIENT, fatal, parseCli } from "@echo-lab/shared/cli";
import {
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  epollCreate1,
  epollCtl,
  EpollEvents,
  EPOLLIN,
  EPOLLOUT,
  epollWait,
} from "@echo-lab/shared/epoll";
import { EPERM, SyscallError } from "@echo-lab/shared/errno";
import {
  close,
  connectTo,
  halfClose,
  read,
  recv,
  send,
  setNonBlocking,
  writeAll,
} from "@echo-lab/shared/socket";

const { address } = parseCli(Deno.args, ECHO_CLIENT);

const STDIN = 0, STDOUT = 1;

// #region connect
let socket: number, epfd: number, stdinPollable: boolean;
try {
  // connect(2) sleeps for the handshake, which is fine: nothing else to do
  // yet. From here on no call may sleep except epoll_wait.
  socket = connectTo(address);
  setNonBlocking(socket);
  epfd = epollCreate1();
  epollCtl(epfd, EPOLL_CTL_ADD, socket, EPOLLIN);
  stdinPollable = canWatch(STDIN);
} catch (error) {
  fatal(error); // e.g. connect: ECONNREFUSED (Connection refused)
}
// #endregion

const events = new EpollEvents(2);
const buffer = new Uint8Array(64 * 1024);
/** Input the socket had no room for. While it waits, we read no more stdin. */
let pending: Uint8Array | null = null;
let stdinOpen = true, sent = 0, received = 0;

// #region loop
try {
  for (;;) {
    // A regular file cannot be in an epoll set (see canWatch). It is always
    // ready, so while we want its bytes, epoll_wait must not sleep: timeout
    // 0 just collects the socket's news, then we read the file anyway.
    const fileReady = !stdinPollable && stdinOpen && pending === null;
    const ready = epollWait(epfd, events, fileReady ? 0 : -1);
    let stdinReady = fileReady;
    for (let i = 0; i < ready; i++) {
      if (events.fd(i) === STDIN) stdinReady = true;
      else socketReady(events.events(i));
    }
    if (stdinReady) readStdin();
  }
} catch (error) {
  fatal(error); // recv: ECONNRESET, send: EPIPE, ...: one line, exit 1
}
// #endregion

// #region socket
function socketReady(mask: number): void {
  if (mask & EPOLLOUT) flush();
  if (mask & ~EPOLLOUT) download(); // readable, hang-up or error
}

/** One read per wake-up (level-triggered: epoll reports again if more). */
function download(): void {
  const n = recv(socket, buffer); // throws on a reset
  if (n === null) return;
  if (n === 0) return finish();
  writeAll(STDOUT, buffer.subarray(0, n));
  received += n;
}

/** The server's FIN. An echo server sends it after echoing all we sent;
 * any sooner means bytes were lost. */
function finish(): never {
  if (stdinOpen || pending !== null || received < sent) {
    throw new Error(
      `server closed early: sent ${sent} bytes, ${received} came back`,
    );
  }
  close(socket);
  close(epfd);
  Deno.exit(0);
}

/** The socket has room again: send what waits, then resume stdin (or, at
 * its end, send our FIN). */
function flush(): void {
  const n = send(socket, pending!) ?? 0;
  if (n < pending!.byteLength) {
    pending = pending!.subarray(n);
    return;
  }
  pending = null;
  epollCtl(epfd, EPOLL_CTL_MOD, socket, EPOLLIN);
  if (stdinOpen) watchStdin(true);
  else halfClose(socket);
}
// #endregion

// #region stdin
/** One read: epoll said stdin is ready (or it is a file), so it won't sleep.
 * stdin stays blocking: O_NONBLOCK would be set on the terminal or pipe we
 * share with the shell, and outlive us. */
function readStdin(): void {
  const n = read(STDIN, buffer);
  if (n === null) return;
  if (n === 0) {
    stdinOpen = false;
    watchStdin(false);
    if (pending === null) halfClose(socket); // half-close: our FIN
    return;
  }
  sent += n;
  // A short count means the send buffer is full: keep the rest and wait for
  // EPOLLOUT, reading no more stdin until it has gone.
  const taken = send(socket, buffer, 0, n) ?? 0;
  if (taken < n) {
    pending = buffer.slice(taken, n);
    watchStdin(false);
    epollCtl(epfd, EPOLL_CTL_MOD, socket, EPOLLIN | EPOLLOUT);
  }
}

/** Adds stdin to the epoll set or takes it out. Out, rather than "events 0",
 * because a pipe whose writer has gone reports EPOLLHUP regardless. */
function watchStdin(on: boolean): void {
  if (stdinPollable) {
    epollCtl(epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, STDIN, EPOLLIN);
  }
}

/** epoll watches things that can make you wait: pipes, sockets, terminals.
 * A regular file (`client < file`) never makes a reader wait, so epoll_ctl
 * refuses it with EPERM; we then treat it as always ready. */
function canWatch(fd: number): boolean {
  try {
    epollCtl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN);
    return true;
  } catch (error) {
    if (error instanceof SyscallError && error.errno === EPERM) return false;
    throw error;
  }
}
// #endregion
