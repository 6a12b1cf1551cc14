/**
 * libc through FFI: {@linkcode openLibc}, which every binding uses to open the
 * symbols it wraps, and the symbols that two or more chapters share.
 *
 * Why the types look the way they do: Deno compiles an FFI symbol into a V8
 * "fast call" (a direct jump from JIT-compiled JavaScript into C, a few
 * nanoseconds) only when every parameter is a plain number or a typed array.
 * So file descriptors are `i32`, byte buffers are `"buffer"` (a `Uint8Array`
 * passed by pointer, no copy), lengths are `usize` (a bigint in JavaScript:
 * converting costs ~20 ns, small beside the ~100+ ns of the syscall itself; we
 * measured it) and no symbol is marked
 * `nonblocking: true` (that would move each call onto a thread pool and cost
 * microseconds). A chapter whose loop makes millions of syscalls depends on it.
 *
 * Every wrapper in `shared/` is built from {@linkcode libc} and
 * {@linkcode errnoCell}. A binding that only one chapter needs (select,
 * io_uring, prctl, the F_SETOWN_EX dance of O_ASYNC) lives in that chapter and
 * opens its own symbols with {@linkcode openLibc}.
 *
 * @module
 */
import { requireLinux } from "./platform.ts";

const symbols = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  // fcntl is variadic in C; on x86_64 and aarch64 Linux an int third
  // argument travels in the same register as a fixed one, so this is safe.
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  // poll(2) again, run on one of the runtime's helper threads: it returns a
  // Promise, so the caller's event loop keeps running while the kernel waits.
  // Each call hands off to another thread (microseconds): for rare, long
  // waits, never a hot loop. errno is that thread's, so only -1 is seen.
  poll_off_thread: {
    name: "poll",
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Opens `symbols` in the C library, typed. Calls are synchronous: a call
 * that sleeps in the kernel (a blocking `accept`, `epoll_wait` with a
 * timeout) stops this whole JavaScript thread, timers and signal listeners
 * included, until it returns.
 *
 * Everywhere but Linux it prints one line saying so and exits 1 instead. */
export function openLibc<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] {
  requireLinux(); // before dlopen: see platform.ts
  return Deno.dlopen("libc.so.6", symbols).symbols;
}

/** The libc symbols that two or more chapters use. */
export const libc: Deno.DynamicLibrary<typeof symbols>["symbols"] = openLibc(
  symbols,
);

// errno is a thread-local int; __errno_location() gives this thread's address
// once (each Worker evaluates this module again on its own thread and gets its
// own). Reading it is a plain 4-byte load, not another libc call.

/** The calling thread's errno, as a one-element view of the thread-local
 * variable itself. Read `errnoCell[0]` in the same expression or function
 * as the failing call, with no function call in between: on entry to a
 * JavaScript function V8 may run its own housekeeping (installing freshly
 * compiled code, for one), which can overwrite errno. We saw a `connect`
 * that failed with EINPROGRESS read back as ENOENT that way, in about one
 * fresh process in seventy. Even the next statement is not always early
 * enough (a `recv` said EAGAIN, we read ENOENT), so the wrappers of calls
 * that are safe to repeat also ask again on an errno the call cannot set:
 * see `callAgain` in errno.ts. */
export const errnoCell: Int32Array = new Int32Array(
  Deno.UnsafePointerView.getArrayBuffer(libc.__errno_location()!, 4),
);
