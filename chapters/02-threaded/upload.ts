/**
 * The client's second thread: copies stdin to the socket, then half-closes.
 * Both copies block, and that is fine here: this thread has nothing else to
 * do, and the main thread, asleep in its own recv, is not held up.
 *
 * Message in: the socket's descriptor. Message out, once, at the end:
 * {@linkcode UploadResult}.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { read, sendAll, shutdown } from "@echo-lab/shared/socket";
import { SHUT_RDWR, SHUT_WR } from "@echo-lab/shared/constants";

/** How the upload ended: every byte of stdin sent, or an error. */
export type UploadResult = { sent: number } | { error: string };

// #region upload
self.onmessage = ({ data: fd }: MessageEvent<number>) => {
  const buffer = new Uint8Array(64 * 1024);
  let result: UploadResult;
  let sent = 0;
  try {
    for (let n; (n = read(0, buffer)!) > 0; sent += n) {
      sendAll(fd, buffer.subarray(0, n)); // sleeps while the server is behind
    }
    result = { sent };
    shutdown(fd, SHUT_WR); // FIN: the server echoes the rest, then closes
  } catch (error) {
    result = { error: (error as Error).message };
    // The main thread sleeps in recv and cannot read our message until it
    // wakes. Shutting the socket down wakes it (recv returns 0).
    try {
      shutdown(fd, SHUT_RDWR);
    } catch { /* a reset socket has nothing left to shut down */ }
  }
  self.postMessage(result);
  self.close();
};
// #endregion
