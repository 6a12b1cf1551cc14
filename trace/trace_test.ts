/**
 * The model tests that only a trace can make: for every chapter, the system
 * calls its server sleeps in (and never sleeps in) are the ones its model
 * promises. Skipped, with the reason, where strace cannot attach.
 */
import assert from "node:assert/strict";
import { discoverChapters } from "@echo-lab/harness/chapters";
import { loadFacts } from "@echo-lab/harness/facts";
import { record } from "./record.ts";
import { straceWorks } from "@echo-lab/harness/strace";
import { summarize } from "./analyze.ts";
import { violations } from "./expectations.ts";

const unavailable = await straceWorks();
if (unavailable) console.warn(`trace tests skipped: ${unavailable}`);

for (const chapter of discoverChapters()) {
  const expectation = (await loadFacts(chapter)).trace;
  Deno.test({
    name: `${chapter.name} trace: ${expectation.claim}`,
    ignore: unavailable !== null,
    async fn() {
      const summary = summarize(await record(chapter));
      assert.deepEqual(
        violations(expectation, summary),
        [],
        JSON.stringify(summary.sleptIn),
      );
    },
  });
}
