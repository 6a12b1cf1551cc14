import assert from "node:assert/strict";
import { spread } from "./stats.ts";

Deno.test("spread: median, min and max", () => {
  assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
  assert.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4 });
});
