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
    claim: "several worker processes each sleep in accept or recv on their own",
    sleeps: [{ calls: [...ACCEPTS, "recvfrom"], on: "process", atLeast: 2 }],
  },
  sequence: {
    ...blockingRead(
      "one process per connection",
      "this process sleeps; the others run",
    ),
    name: "blocking I/O, one process per connection",
  },
  // A process per connection costs ~50 ms of CPU: fewer leak-check cycles.
  suites: { cycles: { "server:per-connection": 60 } },
};
