/**
 * Chapter 04's promise, checked on a running server from outside: the
 * chapter's model test and the exercise grader (`deno task exercise 04`)
 * both run it, on every variant of the server.
 *
 * @module
 */
import { O_NONBLOCK } from "@echo-lab/shared/constants";
import { usageOver } from "@echo-lab/harness/process";
import { sleep } from "@echo-lab/harness/net";
import {
  callsDuring,
  describe,
  fdFlags,
  floodThenIdle,
  isProgramThread,
  type Model,
  servesTogether,
  sockets,
  threads,
  waiters,
} from "@echo-lab/harness/probe";
import { facts } from "./chapter.ts";

export const model: Model = {
  promise:
    "one thread serves everyone, never sleeps, every socket non-blocking",
  async check(launch) {
    await using server = await launch();
    await servesTogether(server);
    const conns = await floodThenIdle(server);
    try {
      for (const fd of [...Object.values(sockets(server))].flat()) {
        if (!(fdFlags(server.pid, fd) & O_NONBLOCK)) {
          throw new Error(
            `your server's socket fd ${fd} is blocking (no O_NONBLOCK): ` +
              `chapter 04 makes every socket non-blocking, so accept and recv ` +
              `return EAGAIN instead of waiting`,
          );
        }
      }
      const { runnable, wall } = await usageOver(server.pid, 1_000);
      if (runnable < 0.9 * wall) {
        throw new Error(
          `with every client idle, your server's main thread slept ` +
            `${(wall - runnable).toFixed(2)} s of ${wall.toFixed(2)} s: ` +
            `chapter 04's loop never sleeps; it asks every socket again and ` +
            `again, and takes EAGAIN for "not now"`,
        );
      }
      // Where strace can attach: the loop asks each socket itself, never
      // the kernel which are ready.
      const calls = await callsDuring(server, () => sleep(500));
      const asked = facts.trace.neverSleeps!.filter((call) => calls?.get(call));
      if (asked.length) {
        throw new Error(
          `your loop calls ${asked.join(", ")}: that asks the kernel which ` +
            `sockets are ready, chapter 05's idea. Chapter 04 asks every ` +
            `socket itself (accept, recv) and takes EAGAIN for "not now"`,
        );
      }
      const helper = threads(server).find((t) =>
        isProgramThread(t) && t.tid !== server.pid &&
        waiters(server).some((w) => w.thread.tid === t.tid)
      );
      if (helper) {
        throw new Error(
          `${describe(helper, server)} waits on a client's socket: chapter ` +
            `04 serves every client from the one loop on the main thread`,
        );
      }
    } finally {
      conns.forEach((conn) => conn.close());
    }
  },
};
