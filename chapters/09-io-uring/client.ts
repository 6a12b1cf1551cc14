/**
 * Chapter 09: the io_uring echo client. Two relays share one ring: stdin →
 * server (read, then send) and server → stdout (recv, then write). Each keeps
 * one request in flight; one io_uring_enter sleeps until either finishes.
 *
 * Unlike epoll, which refuses regular files, io_uring takes a read on any
 * descriptor: a pipe, socket or terminal with nothing to read is retried
 * inside the kernel once it is ready, a regular file is read from the page
 * cache, and whatever would have to block is handed to a kernel worker thread
 * (io-wq) that blocks on our behalf. We only ever see the completion.
 *
 * Run: deno task client [--host H] [--port P]
 *
 * @module
 */
import { ECHO_CLIENT, fatal, parseCli } from "@echo-lab/shared/cli";
import { MSG_NOSIGNAL } from "@echo-lab/shared/constants";
import { SyscallError } from "@echo-lab/shared/errno";
import { IoBuffer, IoUring } from "./io_uring.ts";
import { exitUnsupported } from "@echo-lab/shared/platform";
import { connectTo, halfClose } from "@echo-lab/shared/socket";

const { address } = parseCli(Deno.args, ECHO_CLIENT);

// #region connect
let ring: IoUring;
try {
  ring = IoUring.setup(4);
} catch (error) {
  exitUnsupported(
    `io_uring (Linux 5.19 or later, not disabled; here ${
      (error as Error).message
    })`,
  );
}
let socket: number;
try {
  socket = connectTo(address); // a plain blocking connect: it happens once
} catch (error) {
  fatal(error);
}
// #endregion

// #region relay
const STDIN = 0, STDOUT = 1;
// The user data of each request: which of the four it is.
const READ = 0, SEND = 1, RECV = 2, WRITE = 3;
const CHUNK = 64 * 1024;

/** One direction's buffer. While a request on it is in flight, the kernel
 * owns it: we do not touch it, and this object keeps it alive. */
class Relay {
  readonly buffer = new IoBuffer(CHUNK);
  /** Bytes the last read delivered, and how many of them went on. */
  length = 0;
  done = 0;
}
const upload = new Relay(), download = new Relay();
// What went up and what came back: an echo server closes only after
// returning every byte, so a shortfall at its FIN means bytes were lost.
let inputEnded = false, sent = 0, received = 0;

const readStdin = () => ring.prepRead(STDIN, upload.buffer, 0, CHUNK, -1, READ);
const sendRest = () =>
  ring.prepSend(
    socket,
    upload.buffer,
    upload.done,
    upload.length - upload.done,
    MSG_NOSIGNAL,
    SEND,
  );
const receive = () => ring.prepRecv(socket, download.buffer, 0, CHUNK, 0, RECV);
const writeRest = () =>
  ring.prepWrite(
    STDOUT,
    download.buffer,
    download.done,
    download.length - download.done,
    -1, // position -1: at the current position, as write(2) does
    WRITE,
  );
// #endregion

// #region loop
readStdin();
receive();
for (;;) {
  ring.submitAndWait(1);
  ring.forEachCompletion(complete);
}
// #endregion

// #region complete
function complete(request: number, result: number): void {
  switch (request) {
    case READ:
      if (result < 0) fail("read", result);
      if (result === 0) {
        // End of input: send our FIN, and keep receiving the echo.
        inputEnded = true;
        return halfClose(socket);
      }
      upload.length = result;
      upload.done = 0;
      return sendRest();
    case SEND:
      // A failed send means the server went away: stop uploading; the
      // receiving side reports how (reset, or closed early).
      if (result < 0) return;
      sent += result;
      upload.done += result;
      // A short send (the socket buffer was full): send the rest first.
      return upload.done < upload.length ? sendRest() : readStdin();
    case RECV:
      if (result < 0) fail("recv", result);
      if (result === 0) {
        // The server's FIN: after ours, and with every byte back, that is
        // the end of a full echo. Anything else lost bytes: say so, and fail.
        if (!inputEnded || received < sent) {
          fatal(
            `server closed early: sent ${sent} bytes, ${received} came back`,
          );
        }
        Deno.exit(0);
      }
      received += result;
      download.length = result;
      download.done = 0;
      return writeRest();
    case WRITE:
      if (result < 0) fail("write", result);
      download.done += result;
      return download.done < download.length ? writeRest() : receive();
  }
}

function fail(call: string, result: number): never {
  fatal(new SyscallError(call, -result));
}
// #endregion
