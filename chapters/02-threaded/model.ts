/**
 * Chapter 02's promise, checked on a running server from outside: the
 * exercise grader (`deno task exercise 02`) runs it, on `server` and
 * `server:pool`.
 *
 * @module
 */
import { dialMany, sleep } from "@echo-lab/harness/net";
import {
  describe,
  expectQuietAfterLoad,
  type Model,
  ping,
  servesTogether,
  settledWaiters,
} from "@echo-lab/harness/probe";
import { facts } from "./chapter.ts";

/** Where the main thread sleeps (accept), and each Worker (recv). */
const ON_MAIN = facts.trace.sleeps!.find((sleep) => sleep.on === "main")!.calls;
const ON_WORKER =
  facts.trace.sleeps!.find((sleep) => sleep.on === "thread")!.calls;

export const model: Model = {
  promise:
    "the main thread accepts; each client is served by a Worker asleep in recv",
  async check(launch) {
    await using server = await launch();
    await servesTogether(server);
    const conns = await expectQuietAfterLoad(
      server,
      "a blocking Worker sleeps in recv; something in yours spins",
    );
    conns.push(...await dialMany(server.port, 2));
    try {
      for (const [i, conn] of conns.entries()) await ping(conn, `c${i}`);
      await sleep(300);
      const { waiters, unwatched } = await settledWaiters(server);
      const byThread = new Map<number, number>();
      for (const w of waiters) {
        const main = w.thread.tid === server.pid;
        const ok = main
          ? ON_MAIN.includes(w.thread.call)
          : w.thread.comm.startsWith("worker-") && w.via === "direct" &&
            ON_WORKER.includes(w.thread.call);
        if (!ok) {
          throw new Error(
            `${describe(w.thread, server)} waits on a socket in ` +
              `${w.thread.call}: in chapter 02 the main thread sleeps in ` +
              `accept, and each client's Worker sleeps in recv on its socket`,
          );
        }
        if (!main) {
          byThread.set(w.thread.tid, (byThread.get(w.thread.tid) ?? 0) + 1);
        }
      }
      if (unwatched.length || byThread.size < conns.length) {
        throw new Error(
          `${conns.length} clients connected and idle, and only ` +
            `${byThread.size} Worker thread(s) were asleep in recv on them: ` +
            `chapter 02 hands each connection to a Worker of its own, which ` +
            `blocks in recv until its client speaks`,
        );
      }
    } finally {
      conns.forEach((conn) => conn.close());
    }
  },
};
