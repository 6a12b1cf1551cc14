/**
 * The charts' narrow forms: drawn beside every chart, as wide as a phone's
 * column, with 12 px text, and gone when their chart is no longer drawn.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { chartSpecs, NARROW_WIDTH, narrowSvg, renderCharts } from "./charts.ts";
import { NARROW_DIR, parseResults } from "./results.ts";

const results = parseResults(
  await Deno.readTextFile(new URL("results/latest.json", import.meta.url)),
);

Deno.test("a narrow chart is a phone's width, its text 12 px, its panels stacked", async () => {
  const spec = chartSpecs(results)["open-loop"] ?? chartSpecs(results).latency;
  const svg = await narrowSvg(spec);
  const width = Number(svg.match(/^<svg[^>]*\swidth="([\d.]+)"/)?.[1]);
  assert.ok(Math.abs(width - NARROW_WIDTH) < 2, `${width} px wide`);
  const sizes = [...svg.matchAll(/font-size="([\d.]+)px"/g)].map((m) =>
    Number(m[1])
  );
  assert.ok(sizes.length > 0);
  assert.ok(Math.min(...sizes) >= 12, `smallest text ${Math.min(...sizes)} px`);
  // The same chart drawn wide is wider than tall; stacked, it is taller.
  const height = Number(svg.match(/^<svg[^>]*\sheight="([\d.]+)"/)?.[1]);
  assert.ok(height > 2 * width, `${width} x ${height}`);
});

Deno.test("renderCharts writes each chart's narrow form and drops stale ones", async () => {
  const dir = await Deno.makeTempDir({ prefix: "echo-lab-charts-test-" });
  try {
    await Deno.mkdir(join(dir, NARROW_DIR));
    await Deno.writeTextFile(join(dir, NARROW_DIR, "gone.svg"), "<svg/>");
    const written = await renderCharts(results, dir);
    const narrow = [...Deno.readDirSync(join(dir, NARROW_DIR))]
      .map((e) => e.name).sort();
    assert.deepEqual(narrow, [...written].sort());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
