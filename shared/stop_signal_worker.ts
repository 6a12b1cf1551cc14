/**
 * The watchdog thread of {@linkcode watchStopSignals}: its event loop is the
 * one in the process that is never stuck in a syscall, so it is where the
 * SIGINT/SIGTERM listeners can run.
 *
 * @module
 */
/// <reference lib="deno.worker" />
// No imports, on purpose: a Worker needs read permission for every module it
// loads, and the chapters' tasks grant `--allow-read` for this file alone.
// So the one libc call it makes is bound here.
const libc = Deno.dlopen("libc.so.6", {
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
}).symbols;
const SHUT_RDWR = 2; // <sys/socket.h>, as in constants.ts

let shared: Int32Array | null = null;

function stop() {
  if (!shared) return;
  Atomics.store(shared, 0, 1);
  for (let slot = 1; slot < shared.length; slot++) {
    const fd = Atomics.load(shared, slot);
    // Errors are ignored on purpose: the fd may have just been closed.
    if (fd >= 0) libc.shutdown(fd, SHUT_RDWR);
  }
}

self.onmessage = (event: MessageEvent<Int32Array | "sweep">) => {
  if (event.data === "sweep") stop();
  else shared = event.data;
};

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, stop);
}
