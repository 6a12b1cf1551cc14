/**
 * Chapter 03: the client's second process. client.ts starts it as
 *
 *     deno run --allow-ffi upload.ts --parent PID --socket FD
 *
 * with our stdin and its connected socket: it copies one into the other and,
 * at the end of input, half-closes the connection. It exits 0 when all input
 * went out, 1 when it could not read its input (and says why), and
 * {@linkcode CUT_OFF} when the server stopped taking data.
 *
 * @module
 */
import { fatal } from "@echo-lab/shared/cli";
import { read, sendAll, shutdown } from "@echo-lab/shared/socket";
import { SHUT_RDWR, SHUT_WR } from "@echo-lab/shared/constants";
import { ECONNRESET, EPIPE, SyscallError } from "@echo-lab/shared/errno";
import { childArgs, dieWithParent } from "./spawn.ts";

/** The exit status for EPIPE or ECONNRESET: the server is gone. The uploader
 * says nothing then; the parent, reading the same socket, says it once. */
export const CUT_OFF = 3;

if (import.meta.main) {
  const { parent, socket } = childArgs();
  dieWithParent(parent);
  upload(socket);
}

// #region upload
function upload(socket: number): void {
  const STDIN = 0;
  const buffer = new Uint8Array(64 * 1024);
  try {
    // Sleeps in read until input arrives: a pipe, a file or a terminal
    // (where a read returns a line, when Enter is pressed). 0: end of input.
    let sent = 0;
    for (let n; (n = read(STDIN, buffer));) {
      sendAll(socket, buffer.subarray(0, n));
      sent += n;
    }
    // FIN. shutdown() acts on the socket itself, which the parent shares;
    // close() would only drop our reference, and the server would never know.
    shutdown(socket, SHUT_WR);
    // Our stdout is a pipe to the parent: it checks this against the echo.
    console.log(sent);
  } catch (error) {
    const errno = error instanceof SyscallError ? error.errno : 0;
    if (errno === EPIPE || errno === ECONNRESET) Deno.exit(CUT_OFF);
    // Anything else (stdin unreadable, say) is ours to report. Wake the
    // parent from its recv first: no echo will come for input not sent.
    try {
      shutdown(socket, SHUT_RDWR);
    } catch { /* the connection is already gone */ }
    fatal(error);
  }
}
// #endregion
