/**
 * Chapter 04: the busy-polling echo client. The same loop as the server's:
 * the socket and stdin are both non-blocking, and one thread asks each of
 * them, over and over, whether there is anything to move. Even the connect
 * is polled: we start the handshake and keep asking how it is going.
 *
 * Run: deno task client [--host H] [--port P]
 *
 * @module
 */
import { ECHO_CLIENT, fatal, parseCli } from "@echo-lab/shared/cli";
import {
  F_GETFL,
  F_SETFL,
  O_NONBLOCK,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
} from "@echo-lab/shared/constants";
import {
  close,
  connect,
  fcntl,
  halfClose,
  read,
  recv,
  send,
  socket,
  write,
} from "@echo-lab/shared/socket";
import { watchStopSignals } from "@echo-lab/shared/stop_signal";
import { checkEchoComplete, Relay } from "@echo-lab/shared/relay";

const { address } = parseCli(Deno.args, ECHO_CLIENT);

const STDIN = 0, STDOUT = 1;
// Nothing here sleeps, so Ctrl-C is caught by the watchdog thread and read
// as a flag on every pass; we then put stdin back the way we found it.
const stop = watchStopSignals();
/** stdin's file status flags as we found them, restored at exit. */
let stdinFlags = -1;
let failure: unknown = null;
let sock = -1;

try {
  // #region connect
  sock = socket(address.family, SOCK_NONBLOCK | SOCK_CLOEXEC);
  // connect(2) on a non-blocking socket sends the SYN and returns at once
  // with EINPROGRESS (false). Calling it again asks how the handshake is
  // going: EALREADY (false) while it runs, success (true) once the server's
  // SYN-ACK is in, or the error, such as ECONNREFUSED.
  let connected = connect(sock, address);
  while (!connected && !stop.requested) connected = connect(sock, address);
  // #endregion
  // #region stdin
  // O_NONBLOCK on stdin makes read(0) return EAGAIN instead of sleeping when
  // the pipe or terminal has nothing. It is a flag of the open file, which a
  // terminal shares with the shell that started us (and with our stdout): so
  // we restore it on every way out, Ctrl-C included. A regular file ignores
  // the flag: it always has bytes or end of file, never "not now".
  stdinFlags = fcntl(STDIN, F_GETFL);
  fcntl(STDIN, F_SETFL, stdinFlags | O_NONBLOCK);
  // #endregion
  // #region loop
  const upload = new Relay(STDIN, sock, read, send);
  const download = new Relay(sock, STDOUT, recv, write);
  const buffer = new Uint8Array(64 * 1024);
  let halfClosed = false;
  while (!download.done && !stop.requested) {
    upload.flush();
    upload.transfer(buffer);
    if (upload.done && !halfClosed) {
      // stdin ended and all of it is in the socket: send our FIN. The server
      // echoes what is still in flight, then closes its side.
      halfClose(sock);
      halfClosed = true;
    }
    download.flush();
    download.transfer(buffer);
  }
  // The server closed. Before all our bytes came back? Say so, and fail.
  if (download.done) checkEchoComplete(upload, download);
  // #endregion
} catch (error) {
  failure = error;
}
if (stdinFlags !== -1) fcntl(STDIN, F_SETFL, stdinFlags);
if (sock !== -1) close(sock);
stop.close();
if (failure) fatal(failure);
Deno.exit(stop.requested ? 130 : 0);
