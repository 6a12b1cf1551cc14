/**
 * What one "not now" costs: many calls each, from Deno through FFI fast
 * calls, of an empty system call (getppid), a recv on an empty non-blocking
 * socket, and an accept4 on a non-blocking listener with nothing queued (which
 * reserves a descriptor and allocates a socket and a file before it finds the
 * queue empty, then frees them: __sys_accept4_file and do_accept in the
 * kernel's net/socket.c). Five rounds of 200,000 calls each, timed in this
 * thread's own CPU time (CLOCK_THREAD_CPUTIME_ID), so that time spent waiting
 * for a core on a busy machine is not counted; the lowest round is the least
 * disturbed.
 *
 * Run from the repository root:
 *   deno run --allow-ffi chapters/04-nonblocking/lab/syscall_cost.ts
 * (syscall_cost.txt beside this file is its output on the lab machine.)
 *
 * @module
 */
const libc = Deno.dlopen("libc.so.6", {
  getppid: { parameters: [], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: {
    parameters: ["i32", "pointer", "pointer", "i32"],
    result: "i32",
  },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
});
const { symbols: c } = libc;
const AF_INET = 2, AF_UNIX = 1, SOCK_STREAM = 1, SOCK_NONBLOCK = 0o4000;
const MSG_DONTWAIT = 0x40, CALLS = 200_000, ROUNDS = 5;
const CLOCK_THREAD_CPUTIME_ID = 3, timespec = new BigInt64Array(2);
/** This thread's CPU time so far, in nanoseconds. */
function cpuNs(): number {
  c.clock_gettime(CLOCK_THREAD_CPUTIME_ID, timespec);
  return Number(timespec[0]) * 1e9 + Number(timespec[1]);
}

// A listener on 127.0.0.1, any port, that nobody connects to.
const listener = c.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
const address = new Uint8Array([
  2,
  0,
  0,
  0,
  127,
  0,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
]);
if (listener < 0 || c.bind(listener, address, 16) || c.listen(listener, 16)) {
  throw new Error("listener");
}
// A connected pair with nothing sent: every recv finds the queue empty.
const pair = new Int32Array(2);
if (c.socketpair(AF_UNIX, SOCK_STREAM, 0, pair)) throw new Error("socketpair");
const buffer = new Uint8Array(64);

const calls: Record<string, () => unknown> = {
  "getppid (empty system call)": () => c.getppid(),
  "recv, nothing to read (EAGAIN)": () =>
    c.recv(pair[0], buffer, 64n, MSG_DONTWAIT),
  "accept4, nothing queued (EAGAIN)": () =>
    c.accept4(listener, null, null, SOCK_NONBLOCK),
};
console.log(
  `Deno ${Deno.version.deno}, ${CALLS.toLocaleString("en")} calls ` +
    `per round, ${ROUNDS} rounds, ns of CPU per call (lowest / median round)`,
);
for (const [name, call] of Object.entries(calls)) {
  for (let i = 0; i < 10_000; i++) call(); // let V8 compile the fast call
  const perCall: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = cpuNs();
    for (let i = 0; i < CALLS; i++) call();
    perCall.push((cpuNs() - started) / CALLS);
  }
  perCall.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(36)}${perCall[0].toFixed(0).padStart(6)} /` +
      `${perCall[ROUNDS >> 1].toFixed(0).padStart(6)}`,
  );
}
c.close(listener);
c.close(pair[0]);
c.close(pair[1]);
libc.close();
