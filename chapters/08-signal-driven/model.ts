/**
 * Chapter 08's promise, checked on a running server from outside: the
 * chapter's model test and the exercise grader (`deno task exercise 08`)
 * both run it.
 *
 * @module
 */
import { O_ASYNC } from "@echo-lab/shared/constants";
import {
  catches,
  describe,
  expectQuietAfterLoad,
  fdFlags,
  type Model,
  servesTogether,
  sockets,
  waiters,
} from "@echo-lab/harness/probe";
import { sleep } from "@echo-lab/harness/net";

const SIGIO = 29;

export const model: Model = {
  promise: "every socket O_ASYNC, SIGIO caught, nothing waits on a socket",
  async check(launch) {
    await using server = await launch();
    await servesTogether(server);
    const conns = await expectQuietAfterLoad(
      server,
      "chapter 08 sleeps until a SIGIO says something changed, and never polls",
    );
    try {
      const { listeners, clients } = sockets(server);
      for (const fd of [...listeners, ...clients]) {
        if (!(fdFlags(server.pid, fd) & O_ASYNC)) {
          throw new Error(
            `your server's socket fd ${fd} does not have O_ASYNC: chapter ` +
              `08 asks the kernel for a SIGIO on every socket (setAsync)`,
          );
        }
      }
      if (!catches(server.pid, SIGIO)) {
        throw new Error(
          "your server does not catch SIGIO: without a listener, the " +
            "kernel's signal would end the process",
        );
      }
      for (let look = 0; look < 10; look++) {
        const [w] = waiters(server);
        if (w) {
          throw new Error(
            `${describe(w.thread, server)} is asleep in ${w.thread.call} on ` +
              `a socket: chapter 08 waits for no socket; it sleeps until a ` +
              `SIGIO arrives, then reads what is ready`,
          );
        }
        await sleep(50);
      }
    } finally {
      conns.forEach((conn) => conn.close());
    }
  },
};
