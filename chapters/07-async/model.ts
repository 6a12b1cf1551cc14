/**
 * Chapter 07's promise, checked on a running server from outside: the
 * exercise grader (`deno task exercise 07`) runs it.
 *
 * @module
 */
import { threadCount } from "@echo-lab/harness/process";
import { sleep } from "@echo-lab/harness/net";
import {
  describe,
  expectQuietAfterLoad,
  type Model,
  processes,
  servesTogether,
  settledWaiters,
} from "@echo-lab/harness/probe";
import { facts } from "./chapter.ts";

const EPOLL_WAITS = facts.trace.sleeps![0].calls;

export const model: Model = {
  promise: "one thread, Deno's event loop, a task per connection",
  async check(launch) {
    await using server = await launch();
    await servesTogether(server);
    await sleep(300);
    const before = threadCount(server.pid);
    const conns = await expectQuietAfterLoad(
      server,
      "a task that loops without awaiting (or awaits a timer again and " +
        "again) keeps the thread busy; await conn.read() and let the event " +
        "loop sleep",
    );
    try {
      if (processes(server).length > 1) {
        throw new Error(
          `your server started a child process: chapter 07 serves every ` +
            `client on its one thread, as tasks that await`,
        );
      }
      if (threadCount(server.pid) > before) {
        throw new Error(
          `${conns.length} clients connected and your server started ` +
            `${threadCount(server.pid) - before} more thread(s): chapter 07 ` +
            `serves every client on the one thread, as tasks that await`,
        );
      }
      const { waiters } = await settledWaiters(server);
      for (const w of waiters) {
        if (
          w.thread.tid !== server.pid || !EPOLL_WAITS.includes(w.thread.call)
        ) {
          throw new Error(
            `${describe(w.thread, server)} waits on a client's socket in ` +
              `${w.thread.call}: in chapter 07 only Deno's event loop, on the ` +
              `main thread, waits on sockets`,
          );
        }
      }
    } finally {
      conns.forEach((conn) => conn.close());
    }
  },
};
