/**
 * `deno task bench`: every chapter's servers, and two references, measured
 * side by side under the same load, on this machine.
 *
 * For each server: a capacity probe (how many connections it holds, and how
 * it fails beyond that), then for each connection count and message size a
 * fresh server process and a fresh load generator process running rounds of
 * closed-loop ping-pong, then open-loop runs at fixed rates. Results go to
 * `latest.json`, its tables to `summary.md`, and SVG charts (see output.ts
 * for where, and how a partial run merges).
 *
 * Last, unless --quick, the counting pass (count.ts): system calls and
 * wake-ups per round trip under strace, kept out of the timed rounds.
 *
 * Run: deno task bench [--quick] [--count] [--chapters 06,07] [--help]
 *
 * @module
 */
import { findServers, type Reference, REFERENCES } from "./servers.ts";
import { describeMachine, machineLine } from "@echo-lab/harness/machine";
import { machineCpuSeconds } from "./proc.ts";
import { Progress, summaryLine } from "./progress.ts";
import { parseOptions } from "./options.ts";
import { Cleanups, type RunContext, serverUnits } from "./context.ts";
import { buildLoadgen } from "./gcc.ts";
import { measureServer } from "./measure.ts";
import { outputDir, writeResults } from "./output.ts";
import { countStep, writeCounts } from "./count_run.ts";
import type { BenchResults, ServerResult } from "./results.ts";

const { settings, out, loadgenThreads, count } = parseOptions(Deno.args);
const cleanups = new Cleanups();
cleanups.stopOnInterrupt();
// The compiled C programs live here for the run.
const tempDir = await Deno.makeTempDir({ prefix: "echo-lab-bench-bin-" });
const machine = await describeMachine();
const notes: string[] = [];
// What else keeps the machine busy before we start: on a quiet machine ~0.
const backgroundCores = await busyCores(2000);
if (backgroundCores > 0.2) {
  notes.push(
    `Before the run, other work kept ${
      backgroundCores.toFixed(2)
    } cores busy: expect noisy figures (see otherCores).`,
  );
}
if (!settings.connections.includes(settings.rateConnections)) {
  notes.push(
    `Open loop not run: --rate-connections ${settings.rateConnections} is ` +
      `not among --connections ${settings.connections}.`,
  );
}
const servers = await findServers(
  settings.chapters,
  settings.references as Reference[],
  tempDir,
  notes,
);
const ctx: RunContext = {
  settings,
  notes,
  progress: new Progress(
    servers.length * ((count ? 0 : serverUnits(settings)) + 1),
  ),
  loadgen: await buildLoadgen(tempDir, loadgenThreads),
  loadgenThreads,
  cleanups,
};
console.error(
  `bench: ${servers.length} servers on ${
    machineLine(machine, new Date().toISOString())
  }`,
);
for (const note of notes) console.error(`note: ${note}`);

const dir = await outputDir(out, settings, parseOptions([]).settings);
const results: ServerResult[] = [];
for (const [i, server] of servers.entries()) {
  if (count) break;
  const result = await measureServer(ctx, server, `${i + 1}/${servers.length}`);
  results.push(result);
  ctx.progress.log(summaryLine(result));
}
// The counting pass: system calls and wake-ups per round trip (count.ts).
const counts = await countStep(ctx, servers, results, {
  count,
  dir,
  backgroundCores,
});
ctx.progress.end();
if (count) {
  console.log(counts ? await writeCounts(dir, counts) : notes.at(-1));
  await Deno.remove(tempDir, { recursive: true }).catch(() => {});
  Deno.exit(counts ? 0 : 1);
}

const run: BenchResults = {
  schema: 2,
  date: new Date().toISOString(),
  args: Deno.args,
  machine,
  backgroundCores,
  settings,
  loadgen: { name: "c", threads: loadgenThreads },
  notes,
  servers: results,
  ...(counts ? { counts } : {}),
};
// Some servers only: merged into the results, never replacing them.
const partial = settings.chapters.length > 0 ||
  settings.references.length < REFERENCES.length;
console.log(await writeResults(dir, run, partial));
await Deno.remove(tempDir, { recursive: true }).catch(() => {});
Deno.exit(0);

/** How many cores the whole machine keeps busy over `ms`. */
async function busyCores(ms: number): Promise<number> {
  const before = machineCpuSeconds();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (machineCpuSeconds() - before) / (ms / 1000);
}
