/**
 * Numeric constants from the Linux headers (`<sys/socket.h>`, `<fcntl.h>`),
 * with the values x86_64 and aarch64 share. The constants of poll and epoll
 * live in poll.ts and epoll.ts, beside the calls that take them.
 *
 * @module
 */

// socket(2)
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
/** Or'ed into socket(2)/accept4(2) flags: the new fd starts non-blocking. */
export const SOCK_NONBLOCK = 0o4000;
/** Or'ed into socket(2)/accept4(2) flags: the fd is closed on exec, so child
 * processes do not inherit it by accident. */
export const SOCK_CLOEXEC = 0o2000000;

// setsockopt(2)
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_ERROR = 4;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_LINGER = 13;
/** Several sockets may bind the same address and port; the kernel spreads
 * incoming connections across them (socket(7), Linux 3.9). */
export const SO_REUSEPORT = 15;
export const IPPROTO_TCP = 6;
export const TCP_NODELAY = 1;
/** getsockopt(IPPROTO_TCP, TCP_INFO): `struct tcp_info`, whose first byte is
 * the connection's state, e.g. TCP_CLOSE_WAIT. Linux only. */
export const TCP_INFO = 11;
/** The peer has sent its FIN, and we have not sent ours yet. */
export const TCP_CLOSE_WAIT = 8;

// send(2)/recv(2)
/** Return EPIPE instead of raising SIGPIPE when the peer has gone. */
export const MSG_NOSIGNAL = 0x4000;
export const MSG_DONTWAIT = 0x40;

// shutdown(2)
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

// fcntl(2)
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const FD_CLOEXEC = 1;
export const O_NONBLOCK = 0o4000;
export const O_ASYNC = 0o20000;
