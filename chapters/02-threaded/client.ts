/**
 * Chapter 02: the threaded echo client. Two threads, each with one blocking
 * job: a Worker copies stdin to the socket, the main thread copies the socket
 * to stdout. Unlike chapter 01's stop-and-wait client, both directions move
 * at once, so any amount of data can be in flight.
 *
 * Run: deno task client [--host H] [--port P]
 *
 * @module
 */
import { fatal, parseCli } from "@echo-lab/shared/cli";
import {
  close,
  connectTo,
  recv,
  setNonBlocking,
  writeAll,
} from "@echo-lab/shared/socket";
import type { UploadResult } from "./upload.ts";

const { address } = parseCli(Deno.args, {
  usage: "deno task client",
  summary: "Send stdin to an echo server and print what comes back, " +
    "one thread each way.",
});

// #region connect
let fd: number;
try {
  fd = connectTo(address); // blocks until the handshake completes
  // O_NONBLOCK belongs to the open file, shared with whoever started us:
  // make sure the uploader's reads of stdin sleep rather than fail.
  setNonBlocking(0, false);
} catch (error) {
  fatal(error);
}
const uploader = new Worker(new URL("./upload.ts", import.meta.url), {
  type: "module",
});
const uploaded = new Promise<UploadResult>((resolve) => {
  uploader.onmessage = ({ data }) => resolve(data);
});
uploader.postMessage(fd);
// #endregion

// #region download
// Socket → stdout until the server's FIN. This thread sleeps in recv; the
// uploader runs meanwhile on its own thread.
const buffer = new Uint8Array(64 * 1024);
let received = 0;
try {
  for (let n; (n = recv(fd, buffer)!) > 0; received += n) {
    writeAll(1, buffer.subarray(0, n));
  }
} catch (error) {
  fatal(error); // ECONNRESET, say: the server reset the connection
}
// #endregion

// #region verdict
// The server has closed its side. Only now is this thread free to hear from
// the uploader. A server that echoed everything closes after our FIN, so the
// uploader is done or about to post its message; if it is still busy a
// second later (sending, or waiting for a terminal), the server closed early.
const result = await Promise.race([
  uploaded,
  new Promise<null>((resolve) => setTimeout(resolve, 1_000, null)),
]);
if (result === null) {
  fatal("the server closed the connection early, before the end of input");
}
if ("error" in result) fatal(result.error);
if (result.sent !== received) {
  fatal(
    `the server closed the connection early, after echoing ${received} ` +
      `of ${result.sent} bytes`,
  );
}
close(fd);
Deno.exit(0);
// #endregion
