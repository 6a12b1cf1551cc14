import assert from "node:assert/strict";
import { join } from "node:path";
import { spreadChart } from "./spread_chart.ts";

Deno.test("the committed accept-spread figure is drawn from the committed measurements", () => {
  const dir = join(import.meta.dirname!, "results");
  const results = JSON.parse(
    Deno.readTextFileSync(join(dir, "measure.json")),
  );
  const svg = spreadChart(results);
  assert.equal(
    Deno.readTextFileSync(join(dir, "accept_spread.svg")),
    svg,
    "lab/results/accept_spread.svg is stale: run `deno run --allow-read=results --allow-write=results spread_chart.ts`",
  );
  // Every run's accepted counts appear in the figure's text alternative.
  for (const run of results.spread) {
    for (const loop of run.loops) {
      assert.match(
        svg,
        new RegExp(`loop ${loop.loop} accepted ${loop.accepted}`),
      );
    }
  }
});
