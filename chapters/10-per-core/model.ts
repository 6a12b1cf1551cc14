/**
 * Chapter 10's promise, checked on a running server from outside: the
 * chapter's model test (server_test.ts) and the exercise grader
 * (`deno task exercise 10`) both run it, on `server` and `server:shared`.
 *
 * @module
 */
import { EPOLLEXCLUSIVE } from "@echo-lab/shared/epoll";
import {
  describe,
  expectQuietAfterLoad,
  type Model,
  settledWaiters,
  sockets,
  type Waiter,
} from "@echo-lab/harness/probe";
import type { RunningServer } from "@echo-lab/harness/process";
import { facts } from "./chapter.ts";

const EPOLL_WAITS = facts.trace.sleeps![0].calls;

export const model: Model = {
  promise:
    "a loop per core: each Worker asleep in its own epoll_wait, with a listener of its own",
  async check(launch, variant) {
    const shared = variant.endsWith("shared");
    const cores = navigator.hardwareConcurrency;
    await using server = await launch();
    // Before any client: the loops, each asleep on its listener(s).
    const { listeners } = sockets(server);
    const loops = (await settledWaiters(server)).waiters.filter((w) =>
      listeners.some((fd) => w.fds.has(fd))
    );
    expectOwnLoops(server, loops);
    if (loops.length !== cores) {
      throw new Error(
        `${loops.length} Worker thread(s) were asleep in epoll_wait with a ` +
          `listener in their epoll, on a machine of ${cores} cores: chapter ` +
          `10 starts a loop per core (--loops defaults to ` +
          `navigator.hardwareConcurrency)`,
      );
    }
    if (new Set(loops.map((w) => w.epoll!.epfd)).size !== loops.length) {
      throw new Error(
        `two loops sleep on the same epoll instance: each loop makes its ` +
          `own (epollCreate1 in loop.ts), so that no two wake for one event`,
      );
    }
    const heard = loops.map((w) => listeners.filter((fd) => w.fds.has(fd)));
    if (shared) {
      const notExclusive = loops.find((w) =>
        listeners.some((fd) =>
          w.fds.has(fd) && !(w.epoll!.masks.get(fd)! & EPOLLEXCLUSIVE)
        )
      );
      if (notExclusive) {
        throw new Error(
          `with --shared, the one listener is in a loop's epoll without ` +
            `EPOLLEXCLUSIVE: every loop would wake for every new connection`,
        );
      }
    } else if (
      listeners.length !== cores || heard.some((own) => own.length !== 1) ||
      new Set(heard.flat()).size !== cores
    ) {
      throw new Error(
        `your server has ${listeners.length} listening socket(s) for ` +
          `${loops.length} loops, and not one in each loop's epoll: chapter ` +
          `10 gives every loop a listener of its own, all bound to the same ` +
          `port with SO_REUSEPORT, and the kernel spreads new connections ` +
          `among them`,
      );
    }
    // Then load, and idle clients spread over the loops.
    const conns = await expectQuietAfterLoad(
      server,
      "one of your loops never sleeps: EPOLLOUT left in the interest set " +
        "after the pending bytes have gone, or an epoll_wait with timeout 0",
      { floods: 2, idle: 4 * cores },
    );
    try {
      const { waiters, unwatched } = await settledWaiters(server);
      expectOwnLoops(server, waiters);
      if (unwatched.length) {
        throw new Error(
          `descriptor(s) ${unwatched.join(", ")} are in no loop's epoll: the ` +
            `loop that accepts a client watches it in its own epoll`,
        );
      }
    } finally {
      conns.forEach((conn) => conn.close());
    }
  },
};

/** Every thread that waits on a socket is a loop: a Worker asleep in
 * epoll_wait on an epoll instance of its own making. */
function expectOwnLoops(server: RunningServer, waiters: Waiter[]): void {
  for (const w of waiters) {
    if (
      w.thread.tid === w.thread.pid || !w.thread.comm.startsWith("worker-") ||
      w.via !== "epoll" || !EPOLL_WAITS.includes(w.thread.call) ||
      w.epoll!.eventfd
    ) {
      throw new Error(
        `${describe(w.thread, server)} waits on a socket in ` +
          `${w.thread.call}` +
          (w.epoll?.eventfd ? ` (Deno's own epoll instance)` : "") +
          `: in chapter 10 every socket waits in one loop's own ` +
          `epoll_wait, each loop on a Worker of its own`,
      );
    }
  }
}
