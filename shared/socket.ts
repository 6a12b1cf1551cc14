/**
 * Socket system calls, one thin wrapper each, named after the call it makes.
 *
 * Conventions shared by every wrapper:
 * - a failure throws {@linkcode SyscallError} naming the call and errno, read
 *   right after the call returned -1;
 * - EINTR (a signal arrived while the call slept) is retried: callers never
 *   see it;
 * - EAGAIN/EWOULDBLOCK on a non-blocking socket is not an error but "not
 *   now", returned as `null`, so busy loops don't pay for exceptions.
 *
 * @example
 * ```ts
 * import { accept4, close, openListener } from "./socket.ts";
 * const listener = openListener({ family: "ipv4", host: "127.0.0.1", port: 0 });
 * console.log(`listening on port ${listener.address.port}`);
 * close(listener.fd);
 * ```
 *
 * @module
 */
import { errnoCell, libc } from "./libc.ts";
import {
  callAgain,
  check,
  EAGAIN,
  EALREADY,
  EINPROGRESS,
  EINTR,
  ENOTCONN,
  SyscallError,
} from "./errno.ts";
import {
  AF_INET,
  AF_INET6,
  F_GETFL,
  F_SETFL,
  MSG_NOSIGNAL,
  O_NONBLOCK,
  SHUT_WR,
  SO_LINGER,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  SOL_SOCKET,
} from "./constants.ts";
import {
  decodeSockaddr,
  encodeSockaddr,
  SOCKADDR_MAX,
  type SocketAddress,
} from "./sockaddr.ts";

/** socket(2): a new TCP socket for the address family of `addr`. */
export function socket(
  family: SocketAddress["family"],
  flags = SOCK_CLOEXEC,
): number {
  const domain = family === "ipv4" ? AF_INET : AF_INET6;
  return check(
    "socket",
    libc.socket(domain, SOCK_STREAM | flags, 0),
    errnoCell[0],
  );
}

/** setsockopt(2) for the many options whose value is a C `int`. */
export function setsockoptInt(
  fd: number,
  level: number,
  option: number,
  value: number,
): void {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value, true);
  check(
    "setsockopt",
    libc.setsockopt(fd, level, option, bytes, 4),
    errnoCell[0],
  );
}

/** getsockopt(2) for options whose value is a C `int`. */
export function getsockoptInt(
  fd: number,
  level: number,
  option: number,
): number {
  const bytes = new Uint8Array(4);
  const length = new Uint32Array([4]);
  check(
    "getsockopt",
    libc.getsockopt(fd, level, option, bytes, new Uint8Array(length.buffer)),
    errnoCell[0],
  );
  return new DataView(bytes.buffer).getInt32(0, true);
}

/** SO_LINGER with a zero timeout: the next close(2) discards unsent data and
 * sends a RST instead of a FIN. Tests use it to reset a connection. */
export function setLingerZero(fd: number): void {
  const linger = new Uint8Array(8); // struct linger { int l_onoff; int l_linger; }
  linger[0] = 1;
  check(
    "setsockopt",
    libc.setsockopt(fd, SOL_SOCKET, SO_LINGER, linger, 8),
    errnoCell[0],
  );
}

/** bind(2) */
export function bind(fd: number, addr: SocketAddress): void {
  const bytes = encodeSockaddr(addr);
  check("bind", libc.bind(fd, bytes, bytes.byteLength), errnoCell[0]);
}

/** listen(2) */
export function listen(fd: number, backlog: number): void {
  check("listen", libc.listen(fd, backlog), errnoCell[0]);
}

/** accept4(2): the next connection's fd, or `null` when a non-blocking
 * listener has none waiting. On a blocking listener the call sleeps until a
 * client completes its handshake. */
export function accept4(fd: number, flags = SOCK_CLOEXEC): number | null {
  for (;;) {
    const conn = libc.accept4(fd, null, null, flags);
    if (conn >= 0) return conn;
    const code = errnoCell[0];
    if (callAgain(code)) continue;
    if (code === EAGAIN) return null;
    throw new SyscallError("accept4", code);
  }
}

/** connect(2): `true` once connected, `false` when a non-blocking socket has
 * started the handshake (EINPROGRESS; wait for it to become writable and read
 * SO_ERROR). Calling it again on the same socket asks how the handshake is
 * going: `false` while it still is (EALREADY), `true` when it has completed,
 * and the handshake's own error (ECONNREFUSED, say) when it failed. */
export function connect(fd: number, addr: SocketAddress): boolean {
  const bytes = encodeSockaddr(addr);
  for (;;) {
    if (libc.connect(fd, bytes, bytes.byteLength) === 0) return true;
    const code = errnoCell[0];
    if (code === EINPROGRESS || code === EALREADY) return false;
    // Asking again is what the caller would do next anyway.
    if (callAgain(code)) continue;
    throw new SyscallError("connect", code);
  }
}

/** getsockname(2): the local address, e.g. the port the kernel picked for
 * port 0. */
export function getsockname(fd: number): SocketAddress {
  const bytes = new Uint8Array(SOCKADDR_MAX);
  const length = new Uint32Array([SOCKADDR_MAX]);
  check(
    "getsockname",
    libc.getsockname(fd, bytes, new Uint8Array(length.buffer)),
    errnoCell[0],
  );
  return decodeSockaddr(bytes);
}

// #region recv
/** recv(2) into `buffer`: the byte count, 0 at end of stream (the peer shut
 * down its write side), or `null` when a non-blocking socket has nothing. */
export function recv(fd: number, buffer: Uint8Array, flags = 0): number | null {
  for (;;) {
    const n = libc.recv(fd, buffer, sizeT(buffer.byteLength), flags);
    if (n >= 0n) return Number(n);
    if (!callAgainOrThrow("recv", errnoCell[0])) return null;
  }
}
// #endregion

/** send(2) from `buffer`: how many bytes the kernel took into the socket's
 * send buffer (possibly fewer than offered), or `null` when a non-blocking
 * socket's buffer is full. MSG_NOSIGNAL is always added: a peer that has gone
 * yields EPIPE, never a process-killing SIGPIPE. `length` sends only the
 * first bytes of `buffer`: a hot loop reusing one buffer needs no
 * `subarray` (an allocation) per call. */
export function send(
  fd: number,
  buffer: Uint8Array,
  flags = 0,
  length = buffer.byteLength,
): number | null {
  // The kernel would read past the end of the buffer: refuse, as C cannot.
  if (!(length >= 0 && length <= buffer.byteLength)) {
    throw new RangeError(`send: length ${length} outside the buffer`);
  }
  for (;;) {
    const n = libc.send(fd, buffer, sizeT(length), flags | MSG_NOSIGNAL);
    if (n >= 0n) return Number(n);
    if (!callAgainOrThrow("send", errnoCell[0])) return null;
  }
}

/** read(2): like {@linkcode recv} for any descriptor (stdin, pipes). */
export function read(fd: number, buffer: Uint8Array): number | null {
  for (;;) {
    const n = libc.read(fd, buffer, sizeT(buffer.byteLength));
    if (n >= 0n) return Number(n);
    if (!callAgainOrThrow("read", errnoCell[0])) return null;
  }
}

/** write(2): like {@linkcode send} for any descriptor (stdout, pipes). */
export function write(fd: number, buffer: Uint8Array): number | null {
  for (;;) {
    const n = libc.write(fd, buffer, sizeT(buffer.byteLength));
    if (n >= 0n) return Number(n);
    if (!callAgainOrThrow("write", errnoCell[0])) return null;
  }
}

/** Calls send(2) until all of `buffer` is in the kernel. Only for blocking
 * sockets: each call sleeps while the send buffer is full. */
export function sendAll(fd: number, buffer: Uint8Array): void {
  for (let sent = 0; sent < buffer.byteLength;) {
    sent += send(fd, buffer.subarray(sent)) ?? 0;
  }
}

/** Like {@linkcode sendAll} for any blocking descriptor, via write(2). */
export function writeAll(fd: number, buffer: Uint8Array): void {
  for (let done = 0; done < buffer.byteLength;) {
    done += write(fd, buffer.subarray(done)) ?? 0;
  }
}

/** shutdown(2): SHUT_WR sends FIN (half-close); SHUT_RD/SHUT_RDWR also wake
 * any thread sleeping in recv or accept on this socket. */
export function shutdown(fd: number, how: number): void {
  check("shutdown", libc.shutdown(fd, how), errnoCell[0]);
}

/** A client's half-close at the end of its input: shutdown(SHUT_WR), our FIN.
 * If the peer has already torn the connection down (a reset), shutdown fails
 * with ENOTCONN, which names no cause; the cause (ECONNRESET) is still pending
 * on the socket, and the client's next recv reports it. So that one failure
 * is left for recv to explain. */
export function halfClose(fd: number): void {
  try {
    shutdown(fd, SHUT_WR);
  } catch (error) {
    if ((error as SyscallError).errno !== ENOTCONN) throw error;
  }
}

/** close(2). Not retried on EINTR: on Linux the fd is released either way. */
export function close(fd: number): void {
  const result = libc.close(fd), code = errnoCell[0];
  if (result < 0 && code !== EINTR) throw new SyscallError("close", code);
}

/** fcntl(2) with an int argument. */
export function fcntl(fd: number, command: number, arg = 0): number {
  return check("fcntl", libc.fcntl(fd, command, arg), errnoCell[0]);
}

/** Sets or clears O_NONBLOCK: afterwards calls that would sleep fail with
 * EAGAIN instead. */
export function setNonBlocking(fd: number, on = true): void {
  const flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

/** A listening socket and the address it is bound to. */
export interface Listener {
  fd: number;
  address: SocketAddress;
}

/** socket + SO_REUSEADDR + bind + listen: the four calls every server starts
 * with. SO_REUSEADDR lets a restarted server bind while old connections sit
 * in TIME_WAIT. `flags` are socket(2) flags such as SOCK_NONBLOCK.
 * `reusePort` sets SO_REUSEPORT before bind, so that other sockets with it
 * may bind the same port and share its connections. */
export function openListener(
  addr: SocketAddress,
  { backlog = 1024, flags = SOCK_CLOEXEC, reusePort = false } = {},
): Listener {
  const fd = socket(addr.family, flags);
  try {
    setsockoptInt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (reusePort) setsockoptInt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    bind(fd, addr);
    listen(fd, backlog);
    return { fd, address: getsockname(fd) };
  } catch (error) {
    close(fd);
    throw error;
  }
}

/** A blocking socket connected to `addr` (socket + connect). */
export function connectTo(addr: SocketAddress): number {
  const fd = socket(addr.family);
  try {
    connect(fd, addr);
    return fd;
  } catch (error) {
    close(fd);
    throw error;
  }
}

// #region transfer
// recv, send, read and write each call libc themselves, at a call site of
// their own, and share only what surrounds the call. V8 makes an FFI call a
// fast call only where it knows which function is called: one helper taking
// the libc function as a parameter sent every call down the slow path
// (chapters/06-epoll/README.md).
//
// size_t and ssize_t cross the FFI boundary as bigint. The result is compared
// as a bigint (which V8 keeps unboxed) and converted only when bytes moved;
// our lengths are far below 2^53, so Number() is exact.
let lastLength = -1;
let lastLengthBig = 0n;

/** `length` as a size_t argument. A new bigint is a heap allocation, and a
 * busy-polling loop asks "anything yet?" millions of times a second with the
 * same length, so the last one is kept: an idle pass allocates nothing. */
function sizeT(length: number): bigint {
  if (length !== lastLength) {
    lastLength = length;
    lastLengthBig = BigInt(length);
  }
  return lastLengthBig;
}

/** After a transfer returned -1 with errno `code` (read by the caller before
 * this call: see `errnoCell`): true when the call should be made again
 * (EINTR, or errno overwritten: see `callAgain`), false on EAGAIN (nothing to
 * move now); any other errno is thrown as `call`'s error. */
function callAgainOrThrow(call: string, code: number): boolean {
  if (callAgain(code)) return true;
  if (code === EAGAIN) return false;
  throw new SyscallError(call, code);
}
// #endregion
