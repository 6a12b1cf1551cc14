// Sleeps in a blocking accept(2) until SIGINT/SIGTERM wakes it through the
// stop watchdog, then reports what it saw and exits 0.
//
// With --exhaust-fds it first fills its descriptor table, the moment
// watchStopSignals returns, and holds it full for 300 ms: a watchdog still
// starting would then find no descriptor for its signal listeners.
//
// With --signal-again it sends itself SIGTERM after stop.close(), as a
// forwarded second Ctrl-C would during a shutdown, and must live on.
import { watchStopSignals } from "../stop_signal.ts";
import { accept4, close, openListener, socket } from "../socket.ts";

const listener = openListener({ family: "ipv4", host: "127.0.0.1", port: 0 });
const stop = watchStopSignals();
if (Deno.args.includes("--exhaust-fds")) {
  const held: number[] = [];
  try {
    for (;;) held.push(socket("ipv4"));
  } catch { /* EMFILE: the table is full */ }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
  held.forEach(close);
}
stop.guard(listener.fd);
console.log("blocking in accept");
try {
  accept4(listener.fd);
  console.log("accepted a connection?!");
} catch (error) {
  console.log(`woke: ${(error as Error).message}; requested=${stop.requested}`);
}
stop.release(listener.fd);
close(listener.fd);
stop.close();
if (Deno.args.includes("--signal-again")) {
  Deno.kill(Deno.pid, "SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 200));
  console.log("ignored a signal after close");
}
