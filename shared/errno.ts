/**
 * errno values (Linux, x86_64 and aarch64 share them) and the error type that
 * every wrapper in `shared/` throws: it names the call and the errno, the way
 * `strace` would print them.
 *
 * @example
 * ```ts
 * import { SyscallError, EMFILE } from "./errno.ts";
 * const err = new SyscallError("accept4", EMFILE);
 * console.log(err.message); // "accept4: EMFILE (Too many open files)"
 * ```
 *
 * @module
 */
import { libc } from "./libc.ts";

export const EPERM = 1;
export const ENOENT = 2;
export const EINTR = 4;
export const EIO = 5;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const EPIPE = 32;
export const ENOSYS = 38;
export const ETIME = 62;
export const EPROTO = 71;
export const ENOTSOCK = 88;
export const EOPNOTSUPP = 95;
export const EAFNOSUPPORT = 97;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ENETUNREACH = 101;
export const ECONNABORTED = 103;
export const ECONNRESET = 104;
export const ENOBUFS = 105;
export const ENOTCONN = 107;
export const ETIMEDOUT = 110;
export const ECONNREFUSED = 111;
export const EHOSTUNREACH = 113;
export const EALREADY = 114;
export const EINPROGRESS = 115;
export const ECANCELED = 125;

const NAMES: Record<number, string> = {
  [EPERM]: "EPERM",
  [ENOENT]: "ENOENT",
  [EINTR]: "EINTR",
  [EIO]: "EIO",
  [EBADF]: "EBADF",
  [EAGAIN]: "EAGAIN",
  [ENOMEM]: "ENOMEM",
  [EACCES]: "EACCES",
  [EFAULT]: "EFAULT",
  [EBUSY]: "EBUSY",
  [EINVAL]: "EINVAL",
  [ENFILE]: "ENFILE",
  [EMFILE]: "EMFILE",
  [EPIPE]: "EPIPE",
  [ENOSYS]: "ENOSYS",
  [ETIME]: "ETIME",
  [EPROTO]: "EPROTO",
  [ENOTSOCK]: "ENOTSOCK",
  [EOPNOTSUPP]: "EOPNOTSUPP",
  [EAFNOSUPPORT]: "EAFNOSUPPORT",
  [EADDRINUSE]: "EADDRINUSE",
  [EADDRNOTAVAIL]: "EADDRNOTAVAIL",
  [ENETUNREACH]: "ENETUNREACH",
  [ECONNABORTED]: "ECONNABORTED",
  [ECONNRESET]: "ECONNRESET",
  [ENOBUFS]: "ENOBUFS",
  [ENOTCONN]: "ENOTCONN",
  [ETIMEDOUT]: "ETIMEDOUT",
  [ECONNREFUSED]: "ECONNREFUSED",
  [EHOSTUNREACH]: "EHOSTUNREACH",
  [EALREADY]: "EALREADY",
  [EINPROGRESS]: "EINPROGRESS",
  [ECANCELED]: "ECANCELED",
};

/** The symbolic name of an errno value, e.g. `errnoName(24) === "EMFILE"`. */
export function errnoName(code: number): string {
  return NAMES[code] ?? `errno ${code}`;
}

/** A failed system call: `call` is the libc function, `errno` its error. */
export class SyscallError extends Error {
  /** The symbolic errno, e.g. `"EMFILE"`. */
  readonly code: string;

  constructor(readonly call: string, readonly errno: number) {
    const text = new Deno.UnsafePointerView(libc.strerror(errno)!)
      .getCString();
    super(`${call}: ${errnoName(errno)} (${text})`);
    this.name = "SyscallError";
    this.code = errnoName(errno);
  }
}

/** Whether a call on a descriptor that failed with errno `code` should just
 * be made again, because it changed nothing and told us nothing:
 *
 * - EINTR: a signal arrived while the call slept.
 * - ENOENT: not the call's errno at all. Only calls that look up a path fail
 *   with it, and no call on a descriptor does. The runtime itself can
 *   overwrite the thread's errno between the C function's return and our
 *   read of `errnoCell`, even in the very next statement: we caught `recv`
 *   "failing" with ENOENT where the kernel had said EAGAIN, in 2 of 60 fresh
 *   servers taking 1,000 connections at once. A failed `recv`, `send`,
 *   `accept4` or wait moved nothing, so asking again is safe, and the second
 *   answer is the kernel's.
 *
 * @example
 * ```ts
 * import { callAgain, EAGAIN, EINTR, ENOENT } from "./errno.ts";
 * console.log(callAgain(EINTR), callAgain(ENOENT), callAgain(EAGAIN)); // true true false
 * ```
 */
export function callAgain(code: number): boolean {
  return code === EINTR || code === ENOENT;
}

/** Whether `error` is a peer that left abruptly: a reset (ECONNRESET), a
 * send to a connection it has closed (EPIPE), or a shutdown of a connection
 * the reset already tore down (ENOTCONN). Routine for a server: it ends that
 * one connection and is not worth a line on stderr. */
export function isPeerGone(error: unknown): boolean {
  return error instanceof SyscallError &&
    (error.errno === ECONNRESET || error.errno === EPIPE ||
      error.errno === ENOTCONN);
}

/** Throws a {@linkcode SyscallError} when `result` is negative; returns
 * `result` otherwise. `code` is errno, read in the same expression as the
 * call:
 *
 *     check("listen", libc.listen(fd, 128), errnoCell[0]);
 *
 * JavaScript evaluates every argument before it enters `check`, so the
 * housekeeping V8 may do on entering a function (which can call into libc
 * and overwrite errno) comes too late to spoil it. Whether the call failed
 * is never in doubt here: only its reason could be (see
 * {@linkcode callAgain}). */
export function check(call: string, result: number, code: number): number {
  if (result < 0) throw new SyscallError(call, code);
  return result;
}
