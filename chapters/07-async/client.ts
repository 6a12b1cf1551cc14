/**
 * Chapter 07: the async echo client. Two tasks on one thread: one copies
 * stdin to the socket, the other copies the socket to stdout. Neither can
 * starve the other, because each parks at its `await` while waiting.
 *
 * Run: deno task client [--host H] [--port P]
 *
 * @module
 */
import { ECHO_CLIENT, fatal, parseCli } from "@echo-lab/shared/cli";

const { address } = parseCli(Deno.args, ECHO_CLIENT);

// #region connect
let conn: Deno.TcpConn;
try {
  conn = await Deno.connect({ hostname: address.host, port: address.port });
} catch (error) {
  fatal(error);
}
// #endregion

// #region pump
// Upload: stdin → socket, then FIN (closeWrite) so the server knows we are
// done and can finish echoing. Download: socket → stdout until the server's
// FIN. Both run at once; we are done when the download ends.
let sent = 0, received = 0, uploaded = false;
(async () => {
  for await (const chunk of Deno.stdin.readable) {
    for (let off = 0; off < chunk.byteLength;) {
      const n = await conn.write(chunk.subarray(off));
      off += n;
      sent += n;
    }
  }
  await conn.closeWrite();
  uploaded = true;
})().catch(fatal); // a reset while sending: one line, exit 1

const download = (async () => {
  const buffer = new Uint8Array(64 * 1024);
  for (let n; (n = await conn.read(buffer)) !== null;) {
    received += n;
    for (let off = 0; off < n;) {
      off += await Deno.stdout.write(buffer.subarray(off, n));
    }
  }
})();

try {
  await download;
} catch (error) {
  fatal(error);
}
conn.close();
// An echo server closes after echoing everything we sent. Closing sooner
// means bytes were lost: say so, and fail.
if (!uploaded || received < sent) {
  fatal(`server closed early: sent ${sent} bytes, ${received} came back`);
}
Deno.exit(0);
// #endregion
