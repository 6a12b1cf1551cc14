/**
 * Chapter 08: the signal-driven echo client. The socket works like the
 * server's: non-blocking, O_ASYNC, and a loop that sleeps until SIGIO (or a
 * new chunk from stdin) and then moves whatever it can. stdin is read with
 * Deno's own async reads; the README explains why it is not signal-driven.
 *
 * Run: deno task client [--host H] [--port P]
 *
 * @module
 */
import { ECHO_CLIENT, fatal, parseCli } from "@echo-lab/shared/cli";
import {
  close,
  connectTo,
  halfClose,
  recv,
  send,
} from "@echo-lab/shared/socket";
import { enableSigio, SignalLatch } from "./sigio.ts";

const { address } = parseCli(Deno.args, ECHO_CLIENT);

// #region connect
// connect(2) blocks here, once, before there is anything else to do. Then
// the socket becomes signal-driven, SIGIO listener first.
const sigio = new SignalLatch("SIGIO");
let fd: number;
try {
  fd = connectTo(address);
  enableSigio(fd);
} catch (error) {
  fatal(error);
}
// #endregion

// #region stdin
// stdin → `outbox`. One chunk at a time: the next read waits until the
// socket has taken all of this one, so a fast file can't outrun a slow
// server. Each new chunk, and the end of stdin, wakes the loop below.
let outbox: Uint8Array | null = null;
let outboxSent = () => {};
let stdinDone = false;
(async () => {
  for await (const chunk of Deno.stdin.readable) {
    outbox = chunk;
    const sent = new Promise<void>((resolve) => outboxSent = resolve);
    sigio.set();
    await sent;
  }
  stdinDone = true;
  sigio.set();
})().catch(fatal);
// #endregion

// #region loop
// Sleep until SIGIO (or stdin) says something changed, then do everything
// possible without waiting: send what stdin gave us, send our FIN once stdin
// is over, and copy every byte the server echoed to stdout.
const buffer = new Uint8Array(64 * 1024);
let sent = 0, received = 0, finSent = false, serverDone = false;
try {
  while (!serverDone) {
    await sigio.wait();
    upload();
    await download();
  }
} catch (error) {
  fatal(error); // ECONNRESET and friends: one line, exit 1
}
close(fd);
// An echo server closes after echoing everything we sent. Closing sooner
// means bytes were lost: say so, and fail.
if (!finSent || received < sent) {
  fatal(`server closed early: sent ${sent} bytes, ${received} came back`);
}
Deno.exit(0);
// #endregion

// #region upload
/** Sends as much of the outbox as the socket takes. When it takes less, a
 * SIGIO will say when there is room again. */
function upload() {
  while (outbox) {
    const n = send(fd, outbox);
    if (n === null) return; // EAGAIN: the send buffer is full
    sent += n;
    outbox = n < outbox.byteLength ? outbox.subarray(n) : null;
  }
  outboxSent();
  if (stdinDone && !finSent) {
    halfClose(fd); // our FIN: the server echoes the rest and closes
    finSent = true;
  }
}

/** Copies everything the server has echoed so far to stdout. */
async function download() {
  for (let n; (n = recv(fd, buffer)) !== null;) {
    if (n === 0) {
      serverDone = true;
      return;
    }
    received += n;
    for (let off = 0; off < n;) {
      off += await Deno.stdout.write(buffer.subarray(off, n));
    }
  }
}
// #endregion
