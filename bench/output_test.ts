/**
 * A partial run never loses what it did not measure: it merges into the
 * results there, and every other server's figures and charts stay.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeResults } from "./output.ts";
import { parseResults } from "./results.ts";

/** The committed results, cut to two chapters' servers and the C reference. */
async function sample() {
  const results = parseResults(
    await Deno.readTextFile(
      join(import.meta.dirname!, "results", "latest.json"),
    ),
  );
  // One run's date on every server, as a full run writes them (the
  // committed file may itself be a merge of several runs).
  results.servers = results.servers.filter((s) =>
    ["06-epoll server", "07-async server", "reference c"].includes(s.id)
  ).map((s) => ({ ...s, date: results.date }));
  return results;
}

Deno.test("a --chapters run merges into the results and keeps every chart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "echo-lab-output-test-" });
  try {
    const full = await sample();
    await writeResults(dir, full, false);
    const charts = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert(charts.includes("chapter-07-async.svg"));

    // Re-measure 06 alone, later.
    const run = await sample();
    run.date = "2030-01-01T00:00:00.000Z";
    run.args = ["--chapters", "06"];
    run.settings.chapters = ["06"];
    run.servers = run.servers.filter((s) => s.chapter === "06-epoll")
      .map((s) => ({ ...s, date: run.date }));
    const said = await writeResults(dir, run, true);
    assert.match(said, /merged: 2 servers kept/);

    const merged = parseResults(
      await Deno.readTextFile(join(dir, "latest.json")),
    );
    assert.deepEqual(
      merged.servers.map((s) => [s.id, s.date === run.date]),
      [
        ["06-epoll server", true],
        ["07-async server", false],
        ["reference c", false],
      ],
    );
    assert.deepEqual(merged.settings.chapters, [], "still the full set");
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      charts,
      "no chart deleted",
    );
    const summary = await Deno.readTextFile(join(dir, "summary.md"));
    assert.match(summary, /Merged from 2 runs/);
    assert.match(summary, /\| 07-async /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a partial run with other cells writes elsewhere", async () => {
  const dir = await Deno.makeTempDir({ prefix: "echo-lab-output-test-" });
  try {
    await writeResults(dir, await sample(), false);
    const run = await sample();
    run.settings.rounds = 1;
    run.servers = run.servers.filter((s) => s.chapter === "06-epoll");
    const said = await writeResults(dir, run, true);
    assert.match(said, /not merged: .* other settings/);
    const elsewhere = said.match(/^wrote (\S+)latest\.json/)![1];
    try {
      const written = parseResults(
        await Deno.readTextFile(join(elsewhere, "latest.json")),
      );
      assert.deepEqual(written.servers.map((s) => s.id), ["06-epoll server"]);
      // The results that were there are untouched.
      const kept = parseResults(
        await Deno.readTextFile(join(dir, "latest.json")),
      );
      assert.equal(kept.servers.length, 3);
      assert(Deno.readDirSync(dir).some((e) => e.name.includes("07-async")));
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
