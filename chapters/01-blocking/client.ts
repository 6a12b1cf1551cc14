/**
 * Chapter 01: the stop-and-wait echo client. Read a chunk of stdin, send it
 * all, read back exactly that many bytes, write them to stdout, repeat; at
 * end of input, shut down our writing side and drain what is left. One
 * thread, every call blocking, and only one direction moving at a time.
 *
 * Run: deno task client [--host H] [--port P]
 *
 * @module
 */
import { fatal, parseCli } from "@echo-lab/shared/cli";
import {
  close,
  connectTo,
  halfClose,
  read,
  recv,
  sendAll,
  setNonBlocking,
  writeAll,
} from "@echo-lab/shared/socket";

const { address } = parseCli(Deno.args, {
  usage: "deno task client",
  summary: "Send stdin to an echo server, one chunk at a time, and print " +
    "what comes back.",
});

// #region stop-and-wait
// A chunk must fit in the socket buffers between us and the server: we send
// all of it before reading any echo, so a chunk larger than the buffers
// could fill them both ways and leave both sides asleep in send, forever.
// Loopback's buffers hold hundreds of kilobytes; 16 KiB is far below.
const chunk = new Uint8Array(16 * 1024);
try {
  const fd = connectTo(address); // blocks until the handshake completes
  // O_NONBLOCK belongs to the open file, shared with whoever started us:
  // make sure our reads of stdin sleep rather than fail with EAGAIN.
  setNonBlocking(0, false);
  // read(2) of a pipe, a file or a terminal: 0 means end of input.
  for (let n; (n = read(0, chunk)!) > 0;) {
    sendAll(fd, chunk.subarray(0, n));
    receiveExactly(fd, chunk.subarray(0, n)); // the echo overwrites the chunk
    writeAll(1, chunk.subarray(0, n));
  }
  halfClose(fd); // FIN: "no more from me"
  // Drain until the server's FIN. Every byte we sent is already echoed, so
  // anything arriving now is a surplus we pass on rather than hide.
  for (let n; (n = recv(fd, chunk)!) > 0;) writeAll(1, chunk.subarray(0, n));
  close(fd);
} catch (error) {
  fatal(error);
}
Deno.exit(0);
// #endregion

// #region receive-exactly
/** Fills `into` from the socket. recv returns what has arrived so far, which
 * may be less than we asked for: TCP is a byte stream, not messages. */
function receiveExactly(fd: number, into: Uint8Array): void {
  for (let got = 0; got < into.byteLength;) {
    const n = recv(fd, into.subarray(got))!;
    if (n === 0) {
      throw new Error(
        `the server closed the connection early, after echoing ${got} of ` +
          `${into.byteLength} bytes of a chunk`,
      );
    }
    got += n;
  }
}
// #endregion
