/**
 * Chapter 06's promise, checked on a running server from outside: the
 * chapter's model test (server_test.ts) and the exercise grader
 * (`deno task exercise 06`) both run it, on `server` and `server:edge`.
 *
 * @module
 */
import { EPOLLET, EPOLLOUT } from "@echo-lab/shared/epoll";
import {
  describe,
  expectQuietAfterLoad,
  expectWholeEcho,
  type Model,
  settledWaiters,
} from "@echo-lab/harness/probe";
import { facts } from "./chapter.ts";

const EPOLL_WAITS = facts.trace.sleeps![0].calls;

export const model: Model = {
  promise:
    "one thread sleeps in its own epoll_wait, watching every socket at once",
  async check(launch, variant) {
    const edge = variant.endsWith("edge");
    await using server = await launch();
    if (edge) {
      // One large write, then silence: edge-triggered, the kernel reports
      // the arrival once; a loop that reads once per report leaves the tail.
      await expectWholeEcho(
        server,
        300_000,
        `edge-triggered (--edge), epoll reports new bytes once; read until ` +
          `recv says EAGAIN, or the rest waits for ever`,
      );
    }
    const conns = await expectQuietAfterLoad(
      server,
      edge
        ? `something in your loop keeps it awake (epoll_wait with a timeout of 0, or a loop that never sleeps)`
        : `EPOLLOUT is still in the interest set once the pending bytes are gone, so a ` +
          `level-triggered epoll_wait returns at once, for ever; switch back to EPOLLIN ` +
          `when the last pending byte is sent`,
    );
    try {
      const { waiters, unwatched } = await settledWaiters(server);
      const loop = waiters.find((w) =>
        w.via === "epoll" && EPOLL_WAITS.includes(w.thread.call)
      );
      for (const w of waiters) {
        if (w === loop) continue;
        throw new Error(
          `${describe(w.thread, server)} is asleep in ${w.thread.call} on a ` +
            `client's socket: chapter 06 has one thread, asleep in its own ` +
            `epoll_wait; no other thread or call waits on a socket`,
        );
      }
      if (!loop || loop.thread.tid !== server.pid) {
        throw new Error(
          `with ${conns.length} clients connected, no thread of your server ` +
            `was asleep in epoll_wait on their sockets` +
            (loop
              ? ` on the main thread (${describe(loop.thread, server)} was)`
              : "") +
            `: chapter 06's loop, on the main thread, sleeps in epollWait on ` +
            `an epoll instance that holds the listener and every client`,
        );
      }
      if (loop.epoll!.eventfd) {
        throw new Error(
          `your server sleeps in Deno's own epoll_wait (its instance has the ` +
            `runtime's eventfd): chapter 06 makes its own epoll instance ` +
            `(epollCreate1) and sleeps in it`,
        );
      }
      if (unwatched.length) {
        throw new Error(
          `descriptor(s) ${unwatched.join(", ")} (the listener or a client) ` +
            `are not in the epoll instance your loop sleeps on: every socket ` +
            `goes into it (epollCtl EPOLL_CTL_ADD) as soon as it is accepted`,
        );
      }
      for (const [fd, mask] of loop.epoll!.masks) {
        if (!loop.fds.has(fd)) continue;
        if (mask & EPOLLOUT) {
          throw new Error(
            `with every client idle and nothing left to send, fd ${fd} is ` +
              `still registered for EPOLLOUT: watch for "writable" only while ` +
              `bytes are pending, then switch back to EPOLLIN`,
          );
        }
        if (edge !== Boolean(mask & EPOLLET)) {
          throw new Error(
            `fd ${fd} is registered ${edge ? "without" : "with"} EPOLLET: ` +
              (edge
                ? `with --edge every socket is edge-triggered (TRIGGER)`
                : `without --edge, the loop is level-triggered`),
          );
        }
      }
    } finally {
      conns.forEach((conn) => conn.close());
    }
  },
};
