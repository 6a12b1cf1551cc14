// Sleeps in a blocking accept(2) until SIGINT/SIGTERM wakes it through the
// stop watchdog, then reports what it saw and exits 0.
import { watchStopSignals } from "../stop_signal.ts";
import { accept4, close, openListener } from "../socket.ts";

const listener = openListener({ family: "ipv4", host: "127.0.0.1", port: 0 });
const stop = watchStopSignals();
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
