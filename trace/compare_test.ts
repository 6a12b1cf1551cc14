import assert from "node:assert/strict";
import { compare } from "./compare.ts";
import type { Recording } from "./record.ts";
import type { Call } from "./strace.ts";

/** A one-thread recording: `echoes` round trips, each an epoll_wait, then
 * the given recvfrom results and one sendto. */
function recording(echoes: number, recvResults: string[]): Recording {
  const calls: Call[] = [];
  let t = 1;
  const call = (name: string, args: string, result: string, duration = 0) =>
    calls.push({ tid: 10, name, args, result, start: t++, duration });
  call("accept4", "3, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK", "5");
  for (let i = 0; i < echoes; i++) {
    call("epoll_wait", "4, [], 512, -1", "1", 0.2);
    for (const result of recvResults) {
      call("recvfrom", '5, "A1", 65536, 0', result);
    }
    call("sendto", '5, "A1", 2, 0', "2");
  }
  return {
    chapter: "06-epoll",
    task: "server",
    serverPid: 10,
    started: 0,
    ended: t,
    calls,
    signals: [],
    marks: Array.from({ length: echoes }, (_, i) => ({
      client: "A",
      kind: "echo" as const,
      time: i,
      text: "A1",
    })),
    threads: new Map([[10, { pid: 10, comm: "deno" }]]),
  };
}

Deno.test("compare: the same calls per echo, no difference", () => {
  const text = compare(recording(4, ["2"]), recording(4, ["2"]));
  assert.match(text, /round trips: yours 4, the reference 4/);
  assert.match(text, /no difference/);
});

Deno.test("compare: a recv until EAGAIN is said in words", () => {
  const text = compare(
    recording(4, ["2", "-1 EAGAIN (Resource temporarily unavailable)"]),
    recording(4, ["2"]),
  );
  assert.match(text, /recvfrom\s+8\s+4\s+2\.00\s+1\.00/);
  assert.match(
    text,
    /yours calls recvfrom 2 times per echo; the reference once\. 4 of yours came back EAGAIN/,
  );
  assert.match(text, /reads on until the kernel says EAGAIN/);
});
