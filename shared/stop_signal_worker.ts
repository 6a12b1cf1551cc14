/**
 * The watchdog thread of {@linkcode watchStopSignals}: its event loop is the
 * one in the process that is never stuck in a syscall, so it is where the
 * SIGINT/SIGTERM listeners can run.
 *
 * @module
 */

/** What the watchdog uses of its Worker's global scope. */
export interface WatchdogScope {
  onmessage: ((event: MessageEvent<Int32Array | "sweep">) => void) | null;
}

/** The watchdog's whole program. stop_signal.ts starts a Worker on its source
 * text (`String(watchdog)`, from a blob: URL), so that a chapter's task needs
 * no `--allow-read` for a Worker file. Hence it uses nothing from outside its
 * own body, not even an import: the one libc call it makes is bound here. */
export function watchdog(scope: WatchdogScope): void {
  const libc = Deno.dlopen("libc.so.6", {
    shutdown: { parameters: ["i32", "i32"], result: "i32" },
  }).symbols;
  const SHUT_RDWR = 2; // <sys/socket.h>, as in constants.ts
  const WATCHING = 1, STOPPING = 2; // slot 0's states, as in stop_signal.ts

  let shared: Int32Array | null = null;

  function stop() {
    if (!shared) return;
    Atomics.store(shared, 0, STOPPING);
    for (let slot = 1; slot < shared.length; slot++) {
      const fd = Atomics.load(shared, slot);
      // Errors are ignored on purpose: the fd may have just been closed.
      if (fd >= 0) libc.shutdown(fd, SHUT_RDWR);
    }
  }

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, stop);
  }

  scope.onmessage = (event) => {
    if (event.data === "sweep") return stop();
    shared = event.data;
    // The listeners above are in place: wake the thread waiting for us.
    Atomics.store(shared, 0, WATCHING);
    Atomics.notify(shared, 0);
  };
}
