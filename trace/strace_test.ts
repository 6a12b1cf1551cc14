import assert from "node:assert/strict";
import { firstFd, parseStrace, returned } from "./strace.ts";

Deno.test("joins unfinished and resumed halves of a call", () => {
  const { calls } = parseStrace([
    "10 100.000000 accept4(3, NULL, NULL, SOCK_CLOEXEC <unfinished ...>",
    '11 100.100000 recvfrom(5, "x", 16, 0, NULL, NULL) = 1 <0.000010>',
    "10 100.500000 <... accept4 resumed>) = 6 <0.499000>",
  ].join("\n"));
  assert.equal(calls.length, 2);
  assert.deepEqual(
    [calls[0].tid, calls[0].name, calls[0].result, calls[0].duration],
    [10, "accept4", "6", 0.499],
  );
  assert.equal(returned(calls[0]), 6);
  assert.equal(firstFd(calls[1]), 5);
});

Deno.test("keeps errors, signals, and a call cut short by exit", () => {
  const { calls, signals } = parseStrace([
    "7 1.000000 accept4(3, 0x7ff, [128], SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable) <0.000004>",
    "7 1.100000 --- SIGIO {si_signo=SIGIO, si_code=SI_KERNEL} ---",
    "7 1.200000 epoll_wait(3,  <unfinished ...>",
    "7 1.300000 +++ exited with 0 +++",
  ].join("\n"));
  assert.equal(calls[0].result, "-1 EAGAIN (Resource temporarily unavailable)");
  assert.equal(returned(calls[0]), null);
  assert.deepEqual(signals, [{ tid: 7, signal: "SIGIO", time: 1.1 }]);
  assert.equal(calls[1].result, "?");
});
