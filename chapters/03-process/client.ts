/**
 * Chapter 03: the two-process echo client, the classic fork() client of
 * Stevens' UNIX Network Programming. This process copies socket → stdout; a
 * second process, upload.ts, inherits the socket and copies stdin → socket.
 * Each sleeps in its own blocking call, so neither direction can hold up the
 * other: a one-process blocking client stuck writing a large input would
 * never read the echo that is filling up the server's buffers.
 *
 * Run: deno task client [--host H] [--port P]
 *
 * @module
 */
import { ECHO_CLIENT, fatal, parseCli } from "@echo-lab/shared/cli";
import {
  connectTo,
  fcntl,
  getsockoptInt,
  recv,
  writeAll,
} from "@echo-lab/shared/socket";
import {
  F_SETFD,
  IPPROTO_TCP,
  TCP_CLOSE_WAIT,
  TCP_INFO,
} from "@echo-lab/shared/constants";
import { spawnDeno } from "./spawn.ts";
import { CUT_OFF } from "./upload.ts";

const { address } = parseCli(Deno.args, ECHO_CLIENT);

// #region split
// connectTo() marks the socket close-on-exec, like every descriptor the
// shared layer opens. Clearing that flag (F_SETFD to 0) is what lets the
// uploader inherit it; it also gets our stdin.
let socket: number;
let uploader: Deno.ChildProcess;
try {
  socket = connectTo(address);
  fcntl(socket, F_SETFD, 0);
  uploader = spawnDeno("upload.ts", { socket }, {
    stdin: "inherit",
    stdout: "piped",
  });
} catch (error) {
  fatal(error);
}
// #endregion

// #region download
// Sleeps in recv until the echo arrives, then writes it out; recv returns 0
// when the server has sent its FIN: everything has come back.
const STDOUT = 1;
const buffer = new Uint8Array(64 * 1024);
let received = 0;
try {
  for (let n; (n = recv(socket, buffer));) {
    writeAll(STDOUT, buffer.subarray(0, n));
    received += n;
  }
} catch (error) {
  fatal(error); // a reset; the uploader dies with us (see spawn.ts)
}
// #endregion

// #region finish
// The server has closed. If it did so before our FIN, our side is still
// open: the kernel calls that state CLOSE_WAIT. The uploader may then be
// waiting for input that no one will take (from a terminal, say): stop it.
if (tcpState(socket) === TCP_CLOSE_WAIT) {
  try {
    uploader.kill("SIGTERM");
  } catch { /* it has already exited */ }
  await uploader.output();
  fatal("the server closed the connection before the end of input");
}
// Otherwise the uploader has finished, or is finishing, on its own, and
// prints how many bytes it sent. An echo server gives every one of them
// back before it closes: fewer means it closed early and bytes were lost.
const { code, stdout } = await uploader.output();
if (code === CUT_OFF) fatal("the server reset the connection");
const sent = Number(new TextDecoder().decode(stdout));
if (code === 0 && sent > received) {
  fatal(`server closed early: sent ${sent} bytes, ${received} came back`);
}
Deno.exit(code);
// #endregion

/** The connection's TCP state: the first byte of `struct tcp_info` (the
 * kernel copies as much of it as we ask for; an int's worth will do). */
function tcpState(fd: number): number {
  return getsockoptInt(fd, IPPROTO_TCP, TCP_INFO) & 0xff;
}
