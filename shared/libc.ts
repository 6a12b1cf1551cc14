/**
 * The one `Deno.dlopen` of libc that every hand-built chapter shares.
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
 * {@linkcode errnoCell}; chapters rarely need this module directly.
 *
 * @module
 */

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
  select: {
    parameters: ["i32", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  // glibc has no io_uring wrappers, so these are syscall(2) with the call's
  // number first (SYS_io_uring_setup = 425, SYS_io_uring_enter = 426, the
  // same on x86_64 and aarch64). syscall is variadic, but on both each
  // argument travels in the register a fixed one would, so one fixed-arity
  // alias per call is safe. The number and the sizes are 64-bit (pass bigint
  // constants); the kernel declares fd, counts and flags `unsigned int` and
  // reads only the low 32 bits, so u32 keeps them plain numbers on the fast
  // path (we measured 150 ns per call, against 500 with numbers in i64).
  // The result is a C long; its low 32 bits (i32) hold every value returned.
  io_uring_setup: {
    name: "syscall",
    parameters: ["i64", "u32", "buffer"],
    result: "i32",
  },
  io_uring_enter: {
    name: "syscall",
    parameters: ["i64", "u32", "u32", "u32", "u32", "pointer", "usize"],
    result: "i32",
  },
  mmap: {
    parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"],
    result: "pointer",
  },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  // Compares bytes at C speed: the bench checks every echoed byte with it.
  memcmp: { parameters: ["buffer", "buffer", "usize"], result: "i32" },
  getpid: { parameters: [], result: "i32" },
  gettid: { parameters: [], result: "i32" },
  // prctl is variadic; the options we use read one `unsigned long` (bigint).
  prctl: { parameters: ["i32", "u64"], result: "i32" },
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

/** The libc symbols, typed. Calls are synchronous: a call that sleeps in the
 * kernel (a blocking `accept`, `epoll_wait` with a timeout) stops this whole
 * JavaScript thread, timers and signal listeners included, until it returns. */
export const libc: Deno.DynamicLibrary<typeof symbols>["symbols"] =
  Deno.dlopen("libc.so.6", symbols).symbols;

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
