import assert from "node:assert/strict";
import {
  callAgain,
  check,
  EAGAIN,
  ECONNRESET,
  EINTR,
  EMFILE,
  ENOENT,
  ENOTCONN,
  EPIPE,
  errnoName,
  isPeerGone,
  SyscallError,
} from "./errno.ts";
import { errnoCell, libc } from "./libc.ts";

Deno.test("SyscallError reads like strace", () => {
  const error = new SyscallError("accept4", EMFILE);
  assert.equal(error.message, "accept4: EMFILE (Too many open files)");
  assert.equal(error.code, "EMFILE");
  assert.equal(error.errno, 24);
});

Deno.test("check reads errno right after the failing call", () => {
  assert.throws(
    () => check("close", libc.close(-1), errnoCell[0]),
    /^SyscallError: close: EBADF/,
  );
  const fds = new Int32Array(2);
  const pipe = new Uint8Array(fds.buffer);
  assert.equal(check("pipe2", libc.pipe2(pipe, 0), errnoCell[0]), 0);
  fds.forEach((fd) => libc.close(fd));
});

Deno.test("unknown errno values still get a name", () => {
  assert.equal(errnoName(4095), "errno 4095");
});

Deno.test("isPeerGone: a reset, a broken pipe or a torn-down connection, nothing else", () => {
  assert.ok(isPeerGone(new SyscallError("recv", ECONNRESET)));
  assert.ok(isPeerGone(new SyscallError("shutdown", ENOTCONN)));
  assert.ok(isPeerGone(new SyscallError("send", EPIPE)));
  assert.ok(!isPeerGone(new SyscallError("accept4", EMFILE)));
  assert.ok(!isPeerGone(new Error("recv: ECONNRESET")));
});

Deno.test("callAgain: a signal, or an errno no call on a descriptor can set", () => {
  assert.ok(callAgain(EINTR));
  assert.ok(callAgain(ENOENT)); // overwritten by the runtime, not the kernel's
  assert.ok(!callAgain(EAGAIN)); // "not now" is an answer
  assert.ok(!callAgain(ECONNRESET));
});
