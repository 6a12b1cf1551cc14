/**
 * Chapter 01's promise, checked on a running server from outside: the
 * chapter's model test and the exercise grader (`deno task exercise 01`)
 * both run it, on every variant of the server.
 *
 * @module
 */
import { dial, readExactly, writeAll } from "@echo-lab/harness/net";
import {
  describe,
  expectQuietAfterLoad,
  type Model,
  ping,
  settledWaiters,
  settlesWithin,
} from "@echo-lab/harness/probe";
import { ACCEPTS } from "@echo-lab/lesson/facts";
import { facts } from "./chapter.ts";

/** The calls the one thread sleeps in: accept, then recv. */
const BLOCKING = facts.trace.sleeps!.flatMap((sleep) => sleep.calls);

export const model: Model = {
  promise: "one thread serves one client at a time, asleep in accept or recv",
  async check(launch) {
    await using server = await launch();
    const a = await dial(server.port);
    using b = await dial(server.port);
    let echoB: Promise<Uint8Array>;
    try {
      await ping(a, "A");
      await writeAll(b, new TextEncoder().encode("B"));
      echoB = readExactly(b, 1);
      if (await settlesWithin(echoB, 1_000)) {
        throw new Error(
          "client B got its echo while client A, connected and idle, was " +
            "still being served: chapter 01's server serves one client at " +
            "a time, on one thread, and yours serves them side by side",
        );
      }
      const { waiters } = await settledWaiters(server);
      for (const w of waiters) {
        if (
          w.thread.tid !== server.pid || w.via !== "direct" ||
          !BLOCKING.includes(w.thread.call)
        ) {
          throw new Error(
            `${describe(w.thread, server)} waits on a socket in ` +
              `${w.thread.call}: chapter 01's one thread sleeps in recv on ` +
              `the client it serves, and in accept between clients`,
          );
        }
      }
      if (!waiters.some((w) => w.thread.call === "recvfrom")) {
        throw new Error(
          `while client A sat idle, your server's thread was not asleep in ` +
            `recv on A's socket: chapter 01 blocks in recv until A speaks`,
        );
      }
    } finally {
      a.close();
    }
    if (!await settlesWithin(echoB, 5_000)) {
      throw new Error(
        "client A left, and client B waited 5 s more for its echo: when " +
          "recv returns 0, close A's connection and go back to accept",
      );
    }
    b.close();
    // No client now: the one thread waits for the next in accept itself.
    const { waiters } = await settledWaiters(server);
    const idle = waiters.find((w) => w.thread.tid === server.pid);
    if (!idle || idle.via !== "direct" || !ACCEPTS.includes(idle.thread.call)) {
      throw new Error(
        `with no client connected, your server's main thread was ` +
          (idle ? `in ${idle.thread.call}` : `not waiting on its listener`) +
          `: chapter 01 sleeps in accept until the next client arrives`,
      );
    }
    const conns = await expectQuietAfterLoad(
      server,
      "a blocking server sleeps in recv or accept; something in yours spins",
      { floods: 1, idle: 0 },
    );
    conns.forEach((conn) => conn.close());
  },
};
