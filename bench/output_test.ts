/**
 * One run, one file: the full run replaces bench/results/, a partial run
 * writes its own dated file, a run with other cells a temp dir; nothing is
 * ever merged into another run's rows.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { destination, RESULTS_DIR, writeResults } from "./output.ts";
import { parseOptions } from "./options.ts";
import { parseResults } from "./results.ts";

const DATE = "2026-12-06T01:30:12.345Z";
const full = parseOptions([]).settings;

/** The committed results, cut to two chapters' servers and the C reference. */
async function sample() {
  const results = parseResults(
    await Deno.readTextFile(join(RESULTS_DIR, "latest.json")),
  );
  results.servers = results.servers.filter((s) =>
    ["06-epoll server", "07-async server", "reference c"].includes(s.id)
  );
  return results;
}

Deno.test("the full run writes bench/results/", async () => {
  assert.deepEqual(await destination(null, full, full, DATE), {
    kind: "dir",
    dir: RESULTS_DIR,
  });
});

Deno.test("a --chapters or --references run writes its own dated file", async () => {
  const chapters = parseOptions(["--chapters", "06"]).settings;
  assert.deepEqual(await destination(null, chapters, full, DATE), {
    kind: "file",
    file: join(RESULTS_DIR, "runs", "2026-12-06T0130-chapters-06.json"),
  });
  const references = parseOptions(["--references", "none"]).settings;
  assert.deepEqual(await destination(null, references, full, DATE), {
    kind: "file",
    file: join(RESULTS_DIR, "runs", "2026-12-06T0130-references-c.json"),
  });
});

Deno.test("a run with other cells writes a temp dir, --out DIR writes DIR", async () => {
  const quick = parseOptions(["--quick"]).settings;
  const to = await destination(null, quick, full, DATE);
  assert.equal(to.kind, "dir");
  assert(to.kind === "dir" && to.dir !== RESULTS_DIR);
  await Deno.remove((to as { dir: string }).dir);
  assert.deepEqual(await destination("/x", full, full, DATE), {
    kind: "dir",
    dir: "/x",
  });
});

Deno.test("a dated file holds the run alone, its tables beside it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "echo-lab-output-test-" });
  try {
    const run = await sample();
    run.servers = run.servers.filter((s) => s.id !== "07-async server");
    const file = join(dir, "runs", "2026-12-06T0130-chapters-06.json");
    const said = await writeResults({ kind: "file", file }, run);
    assert.match(said, /2026-12-06T0130-chapters-06\.md/);
    const written = parseResults(await Deno.readTextFile(file));
    assert.deepEqual(written.servers.map((s) => s.id), [
      "06-epoll server",
      "reference c",
    ]);
    const summary = await Deno.readTextFile(file.replace(/json$/, "md"));
    assert.match(summary, /from `.*2026-12-06T0130-chapters-06\.json`/);
    assert.deepEqual(
      [...Deno.readDirSync(join(dir, "runs"))].map((e) => e.name).sort(),
      ["2026-12-06T0130-chapters-06.json", "2026-12-06T0130-chapters-06.md"],
      "no charts, nothing else",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run replaces what a dir held: its rows and its charts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "echo-lab-output-test-" });
  try {
    await writeResults({ kind: "dir", dir }, await sample());
    assert(
      Deno.readDirSync(dir).some((e) => e.name === "chapter-07-async.svg"),
    );
    const run = await sample();
    run.servers = run.servers.filter((s) => s.id !== "07-async server");
    const said = await writeResults({ kind: "dir", dir }, run);
    assert.doesNotMatch(said, /readmes/, "not bench/results/");
    const written = parseResults(
      await Deno.readTextFile(join(dir, "latest.json")),
    );
    assert.deepEqual(written.servers.map((s) => s.id), [
      "06-epoll server",
      "reference c",
    ]);
    assert(!Deno.readDirSync(dir).some((e) => e.name.includes("07-async")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
