/**
 * Chapter 09's promise, checked on a running server from outside: the
 * chapter's model test and the exercise grader (`deno task exercise 09`)
 * both run it.
 *
 * @module
 */
import {
  dial,
  readExactly,
  withTimeout,
  writeAll,
} from "@echo-lab/harness/net";
import {
  callsDuring,
  describe,
  expectQuietAfterLoad,
  type Model,
  servesTogether,
  settledWaiters,
  threads,
} from "@echo-lab/harness/probe";
import { facts } from "./chapter.ts";

const RING = facts.trace.sleeps![0].calls;

export const model: Model = {
  promise:
    "sleeps in io_uring_enter; the kernel does every accept, recv and send",
  async check(launch) {
    await using server = await launch();
    await servesTogether(server);
    const conns = await expectQuietAfterLoad(
      server,
      "a loop that submits without waiting for a completion spins; " +
        "io_uring_enter with min_complete 1 sleeps until one is ready",
    );
    try {
      const { waiters } = await settledWaiters(server, 10);
      const [w] = waiters;
      if (w) {
        throw new Error(
          `${describe(w.thread, server)} is asleep in ${w.thread.call} on a ` +
            `socket: under io_uring no thread waits on a socket; the kernel ` +
            `completes the requests in the ring`,
        );
      }
      const main = threads(server).find((t) => t.tid === server.pid);
      if (!main || !RING.includes(main.call)) {
        throw new Error(
          `with clients connected and idle, your server's main thread was in ` +
            `${main?.call}, not io_uring_enter: chapter 09 sleeps there until ` +
            `a completion arrives`,
        );
      }
    } finally {
      conns.forEach((conn) => conn.close());
    }
    // Where strace can attach: while a client echoes 256 KiB, no thread of
    // the server makes a socket call of its own.
    const calls = await callsDuring(server, async () => {
      using conn = await dial(server.port);
      const payload = new Uint8Array(256 * 1024).fill(9);
      await Promise.all([
        writeAll(conn, payload),
        withTimeout(readExactly(conn, payload.byteLength), 10_000, "echo"),
      ]);
    });
    const own = [...calls ?? []].filter(([name]) =>
      /^(accept4?|recv\w*|send\w*|poll|ppoll|select|pselect6)$/.test(name)
    );
    if (own.length > 0) {
      throw new Error(
        `while a client echoed 256 KiB, your server (its threads and ` +
          `Workers) called ` +
          own.map(([name, count]) => `${name} ${count} times`).join(", ") +
          `: under io_uring the kernel makes those calls; queue a request ` +
          `(prepRecv, prepSend, prepAccept) and handle its completion`,
      );
    }
  },
};
