/**
 * One Worker: a thread of its own, with its own JavaScript heap and event
 * loop, running chapter 01's blocking echo loop (written out again below) on
 * the connections the main thread hands it. While it sleeps in recv, only this thread sleeps.
 *
 * Messages in: a {@linkcode Job}, or `"exit"` (pool Workers, at shutdown).
 * Messages out: `"ready"` once loaded, `"exited"` just before it ends.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { close, recv, sendAll, shutdown } from "@echo-lab/shared/socket";
import { SHUT_WR } from "@echo-lab/shared/constants";
import { ConnectionTable } from "./connections.ts";
import { isPeerGone } from "@echo-lab/shared/errno";

/** A connection to serve: descriptor `fd`, registered in `slot` of the
 * shared table. `last`: the Worker ends after this one (one per
 * connection) instead of waiting for the next (a pool). */
export interface Job {
  table: SharedArrayBuffer;
  slot: number;
  fd: number;
  last: boolean;
}

// #region worker
const buffer = new Uint8Array(64 * 1024);

self.onmessage = ({ data }: MessageEvent<Job | "exit">) => {
  // A message handler may block as long as it likes: this thread has
  // nothing else to do. The next job waits in the queue until it returns.
  if (data !== "exit") serve(data);
  if (data === "exit" || data.last) {
    self.postMessage("exited");
    self.close(); // the thread ends on its own: nobody has to terminate() it
  }
};
self.postMessage("ready");

function serve({ table, slot, fd }: Job): void {
  const connections = new ConnectionTable(table);
  try {
    echo(fd); // chapter 01's loop: recv, send, repeat, all blocking
  } catch (error) {
    // A reset or a vanished peer ends this connection, nothing else.
    if (!connections.stopping && !isPeerGone(error)) {
      console.error(`connection: ${(error as Error).message}`);
    }
  } finally {
    connections.release(slot, fd); // first release, then close: see the table
    close(fd);
  }
}
// #endregion

/** Chapter 01's blocking echo loop, unchanged: it sleeps in recv and send,
 * and on this thread sleeping costs no other connection anything. */
function echo(fd: number): void {
  for (;;) {
    const n = recv(fd, buffer)!; // sleeps until bytes or a FIN arrive
    if (n === 0) break;
    sendAll(fd, buffer.subarray(0, n)); // sleeps while the peer isn't reading
  }
  shutdown(fd, SHUT_WR); // everything is echoed: our own FIN
}
