/**
 * What this chapter states about itself, for the tracer and the site: see
 * `@echo-lab/lesson/facts`.
 *
 * @module
 */
import { ACCEPTS, type ChapterFacts } from "@echo-lab/lesson/facts";
import { blockingRead } from "@echo-lab/lesson/sequence";

export const facts: ChapterFacts = {
  loop: "server.ts:loop",
  family: "blocking",
  trace: {
    claim:
      "the main thread sleeps in accept while several worker threads sleep in recv at the same time",
    sleeps: [{ calls: ACCEPTS, on: "main" }, {
      calls: ["recvfrom"],
      on: "thread",
      atLeast: 2,
    }],
  },
  sequence: {
    ...blockingRead(
      "one thread per connection",
      "this thread sleeps; the others run",
    ),
    name: "blocking I/O, one thread per connection",
  },
  // A Worker per connection costs ~25 ms of CPU: fewer leak-check cycles.
  suites: { cycles: { server: 100 } },
};
