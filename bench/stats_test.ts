import assert from "node:assert/strict";
import { LatencyLog, percentile, spread } from "./stats.ts";

Deno.test("percentile: nearest rank", () => {
  const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 500);
  assert.equal(percentile(sorted, 0.99), 990);
  assert.equal(percentile(sorted, 0.999), 999);
  assert.equal(percentile(sorted, 1), 1000);
  assert.equal(percentile(Float64Array.of(7), 0.999), 7);
  assert(Number.isNaN(percentile([], 0.5)));
});

Deno.test("spread: median, min and max", () => {
  assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
  assert.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4 });
});

Deno.test("LatencyLog grows, sorts numerically and clears", () => {
  const log = new LatencyLog();
  for (let i = 100_000; i > 0; i--) log.add(i);
  assert.equal(log.length, 100_000);
  assert.deepEqual(log.percentiles(), {
    p50: 50_000,
    p99: 99_000,
    p999: 99_900,
  });
  log.clear();
  assert.equal(log.length, 0);
});
