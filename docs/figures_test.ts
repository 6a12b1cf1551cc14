/**
 * Bench figures as prose quotes them: by name, with binary units and their
 * own precision, and wrapped so Markdown reads them as prose.
 */
import assert from "node:assert/strict";
import { bytes, duration, figure, wrap } from "./figures.ts";
import { results } from "./testdata/bench_results.ts";

Deno.test("figures: formatted with binary units and their own precision", () => {
  assert.equal(bytes(604), "604 B");
  assert.equal(bytes(1055), "1.03 KiB");
  assert.equal(bytes(8128471), "7.75 MiB");
  assert.equal(bytes(190402560), "182 MiB");
  assert.equal(duration(79.16), "79 µs");
  assert.equal(duration(2800), "2.8 ms");
  assert.equal(duration(132000), "132 ms");
  const r = results();
  assert.equal(figure(r, "06-epoll/held"), "10,000");
  assert.equal(figure(r, "06-epoll/rss-per-connection"), "1.03 KiB");
  assert.equal(figure(r, "ref:c/idle-threads"), "1");
  assert.throws(
    () => figure(r, "11-nope/held"),
    /figure 11-nope\/held: no server 11-nope in the results/,
  );
  assert.throws(
    () => figure(r, "06-epoll/nope"),
    /figure 06-epoll\/nope: not SERVER\/METRIC/,
  );
});

Deno.test("wrap: before the width, never starting a line Markdown would misread", () => {
  assert.equal(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
  assert.equal(wrap("aaa - bbb", 4), "aaa -\nbbb");
  assert.equal(wrap("a 10. b", 2), "a 10.\nb");
});
