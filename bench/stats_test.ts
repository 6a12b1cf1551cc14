import assert from "node:assert/strict";
import { pairedRatio, spread } from "./stats.ts";

Deno.test("spread: median, min and max", () => {
  assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
  assert.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4 });
});

Deno.test("pairedRatio: round by round, and refuses unpaired rounds", () => {
  assert.deepEqual(pairedRatio([110, 90, 100], [100, 100, 100]), {
    median: 1,
    min: 0.9,
    max: 1.1,
  });
  // Drift that hits both servers alike divides out.
  assert.deepEqual(pairedRatio([200, 100], [100, 50]), {
    median: 2,
    min: 2,
    max: 2,
  });
  assert.throws(() => pairedRatio([1, 2], [1]), /pairedRatio: 2 rounds/);
});
