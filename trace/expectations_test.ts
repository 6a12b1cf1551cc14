import assert from "node:assert/strict";
import type { SleepSummary } from "./analyze.ts";
import { violations } from "./expectations.ts";

const promise = {
  claim: "the main thread sleeps in epoll_wait; recv never sleeps",
  sleeps: [{ calls: ["epoll_wait"], on: "main" as const }],
  neverSleeps: ["recvfrom"],
};

function summary(recvSleeps: number): SleepSummary {
  return {
    sleptIn: {
      epoll_wait: ["main thread"],
      ...(recvSleeps ? { recvfrom: ["main thread"] } : {}),
    },
    sleeps: { epoll_wait: 9, ...(recvSleeps ? { recvfrom: recvSleeps } : {}) },
    counts: { epoll_wait: 12, recvfrom: 16 },
    processes: 1,
    threads: 1,
    signals: {},
  };
}

Deno.test("one long recv is preemption; a recv that sleeps again breaks the promise", () => {
  assert.deepEqual(violations(promise, summary(0)), []);
  assert.deepEqual(violations(promise, summary(1)), []);
  assert.deepEqual(violations(promise, summary(3)), [
    "recvfrom slept 3 times on main thread",
  ]);
});

Deno.test("a promised sleep that never happened is named", () => {
  const none = { ...summary(0), sleptIn: {}, sleeps: {} };
  assert.deepEqual(violations(promise, none), [
    "expected epoll_wait to sleep on 1 main lane(s), saw 0",
  ]);
});
