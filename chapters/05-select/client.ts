/**
 * Chapter 05: the select echo client, the classic multiplexing client. One
 * select(2) watches stdin, the socket and stdout at once, so neither
 * direction can hold up the other: while the server is slow to take our
 * input we keep printing its echo, and the other way round. At the end of
 * stdin we half-close, and keep reading until the server has echoed the last
 * byte and closed.
 *
 * Run: deno task client [--host H] [--port P]
 *
 * @module
 */
import { ECHO_CLIENT, fatal, parseCli } from "@echo-lab/shared/cli";
import { FdSet, select } from "./select.ts";
import {
  connectTo,
  halfClose,
  read,
  recv,
  send,
  setNonBlocking,
  write,
} from "@echo-lab/shared/socket";
import { checkEchoComplete, Relay } from "@echo-lab/shared/relay";

const { address } = parseCli(Deno.args, ECHO_CLIENT);

const STDIN = 0, STDOUT = 1;

try {
  // connect(2) sleeps for the handshake, which is fine: there is nothing else
  // to do yet. (Chapter 04 shows the non-blocking way.) From here on only
  // select sleeps. The socket is non-blocking so that a send never waits for
  // a server that is itself waiting for us to read its echo.
  const sock = connectTo(address);
  setNonBlocking(sock);
  // #region loop
  const upload = new Relay(STDIN, sock, read, send);
  const download = new Relay(sock, STDOUT, recv, write);
  const buffer = new Uint8Array(64 * 1024);
  const readable = new FdSet(), writable = new FdSet();
  let halfClosed = false;
  while (!download.done) {
    // Ask for what each direction can use next: input while nothing is
    // pending, room for output while something is.
    readable.clear();
    writable.clear();
    if (upload.wantsInput) readable.add(STDIN);
    if (upload.wantsOutput) writable.add(sock);
    if (download.wantsInput) readable.add(sock);
    if (download.wantsOutput) writable.add(STDOUT);
    // Sleeps until one of them can move. A regular file on stdin is always
    // "readable" (it has bytes or end of file), so select returns at once.
    select(sock + 1, readable, writable, -1);
    if (writable.has(sock)) upload.flush();
    if (readable.has(STDIN)) upload.transfer(buffer);
    if (upload.done && !halfClosed) {
      // All of stdin is in the socket: send our FIN. The server echoes what
      // is still in flight, then closes, which ends the loop.
      halfClose(sock);
      halfClosed = true;
    }
    if (writable.has(STDOUT)) download.flush();
    if (readable.has(sock)) download.transfer(buffer);
  }
  checkEchoComplete(upload, download);
  // #endregion
} catch (error) {
  fatal(error); // connect: ECONNREFUSED, recv: ECONNRESET, server closed early
}
Deno.exit(0);
