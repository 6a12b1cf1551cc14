/**
 * Chapter 10: the echo client. One connection is served by one loop,
 * whatever the server does with its cores, so the client needs nothing new:
 * poll(2) on stdin, the socket and stdout, and the shared Relay moving bytes
 * in each direction as soon as both ends can take them. At the end of stdin
 * we half-close, and keep reading until the server has echoed the last byte
 * and closed.
 *
 * Run: deno task client [--host H] [--port P]
 *
 * @module
 */
import { ECHO_CLIENT, fatal, parseCli } from "@echo-lab/shared/cli";
import { poll, PollFds, POLLIN, POLLOUT } from "@echo-lab/shared/poll";
import { checkEchoComplete, Relay } from "@echo-lab/shared/relay";
import {
  connectTo,
  halfClose,
  read,
  recv,
  send,
  setNonBlocking,
  write,
} from "@echo-lab/shared/socket";

const { address } = parseCli(Deno.args, ECHO_CLIENT);

const STDIN = 0, STDOUT = 1;

try {
  const sock = connectTo(address);
  setNonBlocking(sock); // a send must never wait while the echo piles up
  const upload = new Relay(STDIN, sock, read, send);
  const download = new Relay(sock, STDOUT, recv, write);
  const buffer = new Uint8Array(64 * 1024);
  const fds = new PollFds(3);
  let halfClosed = false;
  while (!download.done) {
    // Each slot asks for what its direction can use next.
    fds.set(0, STDIN, upload.wantsInput ? POLLIN : 0);
    fds.set(
      1,
      sock,
      (upload.wantsOutput ? POLLOUT : 0) |
        (download.wantsInput ? POLLIN : 0),
    );
    fds.set(2, STDOUT, download.wantsOutput ? POLLOUT : 0);
    poll(fds, 3, -1); // the one place the client sleeps
    // Any report (data, room, end of file, an error) means: try the call.
    const ready = (slot: number) => fds.revents(slot) !== 0;
    if (ready(1)) upload.flush();
    if (ready(0)) upload.transfer(buffer);
    if (upload.done && !halfClosed) {
      halfClose(sock); // all of stdin is in the socket: send our FIN
      halfClosed = true;
    }
    if (ready(2)) download.flush();
    if (ready(1)) download.transfer(buffer);
  }
  checkEchoComplete(upload, download);
} catch (error) {
  fatal(error); // connect: ECONNREFUSED, recv: ECONNRESET, server closed early
}
Deno.exit(0);
