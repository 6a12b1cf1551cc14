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
 * JavaScript evaluates every argument before it enters `check`, so nothing
 * runs between the failing call and the read of errno: not even the
 * housekeeping V8 may do on entering a function, which can call into libc
 * and overwrite errno (seen here: EINPROGRESS read back as ENOENT). */
export function check(call: string, result: number, code: number): number {
  if (result < 0) throw new SyscallError(call, code);
  return result;
}
