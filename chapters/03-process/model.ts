/**
 * Chapter 03's promise, checked on a running server from outside: the
 * exercise grader (`deno task exercise 03`) runs it, on `server` and
 * `server:per-connection`.
 *
 * @module
 */
import {
  describe,
  expectQuietAfterLoad,
  type Model,
  servesTogether,
  settledWaiters,
  sockets,
} from "@echo-lab/harness/probe";
import { facts } from "./chapter.ts";

const BLOCKING = facts.trace.sleeps!.flatMap((sleep) => sleep.calls);

export const model: Model = {
  promise:
    "worker processes serve the clients, each asleep in accept or recv; the master serves none",
  async check(launch, variant) {
    await using server = await launch(
      variant === "server" ? ["--workers", "3"] : [],
    );
    await servesTogether(server);
    const conns = await expectQuietAfterLoad(
      server,
      "a blocking worker process sleeps in recv or accept; something in yours spins",
      { floods: 2, idle: 1 },
    );
    try {
      const { waiters } = await settledWaiters(server);
      for (const w of waiters) {
        // Between clients, the master may wait for the listener to be
        // readable (--per-connection does): only clients are the workers'.
        const { clients } = sockets(server, w.thread.pid);
        if (!clients.some((fd) => w.fds.has(fd))) continue;
        if (
          w.thread.pid === server.pid || w.thread.tid !== w.thread.pid ||
          w.via !== "direct" || !BLOCKING.includes(w.thread.call)
        ) {
          throw new Error(
            `${describe(w.thread, server)} waits on a socket in ` +
              `${w.thread.call}: in chapter 03 each worker process's one ` +
              `thread sleeps in accept or recv, and the master serves no ` +
              `client (it only starts workers)`,
          );
        }
      }
      const serving = waiters.filter((w) => w.thread.call === "recvfrom");
      if (serving.length < conns.length) {
        throw new Error(
          `${conns.length} clients connected and idle, and only ` +
            `${serving.length} worker process(es) were asleep in recv on ` +
            `them: chapter 03 serves each client in a process of its own`,
        );
      }
    } finally {
      conns.forEach((conn) => conn.close());
    }
  },
};
