/**
 * Chapter 05's promise, checked on a running server from outside: the
 * chapter's model test and the exercise grader (`deno task exercise 05`)
 * both run it, on `server` (select) and `server:poll`.
 *
 * @module
 */
import { dialMany, sleep } from "@echo-lab/harness/net";
import {
  describe,
  expectQuietAfterLoad,
  type Model,
  servesTogether,
  settledWaiters,
} from "@echo-lab/harness/probe";
import { raiseNoFileLimit } from "@echo-lab/shared/rlimit";
import { FD_SETSIZE } from "./select.ts";

export const model: Model = {
  promise:
    "one thread sleeps in select (or poll), handed every socket; select refuses an fd at FD_SETSIZE",
  async check(launch, variant) {
    const call = variant.endsWith("poll") ? "poll" : "select";
    await using server = await launch();
    await servesTogether(server);
    const conns = await expectQuietAfterLoad(
      server,
      `a socket stays in the ${
        call === "select" ? "write set" : "POLLOUT events"
      } ` +
        `after its pending bytes have gone, or the wait never sleeps, so ` +
        `${call} returns at once, for ever; ask for "writable" only while ` +
        `bytes are pending`,
    );
    try {
      const { waiters, unwatched } = await settledWaiters(server);
      const loop = waiters.find((w) => w.via === call);
      for (const w of waiters) {
        if (w === loop) continue;
        throw new Error(
          `${describe(w.thread, server)} is asleep in ${w.thread.call} on a ` +
            `socket: chapter 05 has one thread, and every socket waits in ` +
            `its one ${call} call`,
        );
      }
      if (!loop || loop.thread.tid !== server.pid) {
        throw new Error(
          `with ${conns.length} clients connected, your server's main thread ` +
            `was not asleep in ${call} on their sockets: chapter 05's loop ` +
            `hands ${call} the listener and every client, and sleeps there`,
        );
      }
      if (unwatched.length) {
        throw new Error(
          `descriptor(s) ${unwatched.join(", ")} (the listener or a client) ` +
            `were not among those your server handed ${call}: every socket ` +
            `goes into the set on each turn of the loop`,
        );
      }
      if (loop.writable!.size) {
        throw new Error(
          `with every client idle and nothing to send, your server asks ` +
            `${call} about fd ${[...loop.writable!].join(", ")} being ` +
            `writable, which it always is: ${call} returns at once, for ` +
            `ever. Ask for "writable" only while bytes are pending`,
        );
      }
    } finally {
      conns.forEach((conn) => conn.close());
    }
    if (call === "poll") return;
    raiseNoFileLimit(); // this process holds the clients' ends
    const many = await dialMany(server.port, FD_SETSIZE + 20);
    try {
      await sleep(500);
      const refused = server.stderr().match(
        /^refusing a connection: fd (\d+)/m,
      );
      if (!refused || Number(refused[1]) < FD_SETSIZE) {
        throw new Error(
          `${many.length} clients connected, so your server's descriptors ` +
            `went past ${FD_SETSIZE}, and it refused none: select(2) can ` +
            `only watch descriptors below FD_SETSIZE (${FD_SETSIZE}); ` +
            `turn such a client away (addConnection does) instead`,
        );
      }
    } finally {
      many.forEach((conn) => conn.close());
    }
  },
};
