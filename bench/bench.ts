/**
 * `deno task bench`: every chapter's servers, and the references, measured
 * under the same load on this machine, one run to one results file.
 *
 * The run is a list of steps (measure.ts), each a kind of measurement on a
 * fresh server process that is the only server alive while it is measured:
 *
 * 1. the capacity probe and idle CPU of each server;
 * 2. each closed-loop cell (connections × size), interleaved: every round
 *    measures every server once, the order rotated each round, the C
 *    reference among them, so any two servers pair round by round; then
 *    the cells chapters state for some of their servers (cells.ts), the
 *    same way, with the C reference;
 * 3. the open-loop rates of each server;
 * 4. unless --quick, the counting pass (count.ts): system calls and wake-ups
 *    per round trip under strace, kept out of the timed rounds.
 *
 * Each measurement is repeated while other work ran beside it (quiet.ts); a
 * run that still has noisy measurements writes nothing, unless
 * `--accept-noise`. Where results go: output.ts. `--reproduce` re-measures
 * the ratios the READMEs quote instead (reproduce.ts).
 *
 * Run: deno task bench [--quick] [--chapters 06,07] [--reproduce] [--count]
 *   [--help]
 *
 * @module
 */
import { type BenchServer, findServers, type Reference } from "./servers.ts";
import { extraCells } from "./cells.ts";
import { describeMachine, machineLine } from "@echo-lab/harness/machine";
import { machineCpuSeconds } from "./proc.ts";
import { clock, Progress, summaryLine } from "./progress.ts";
import { COMMITTED, parseOptions } from "./options.ts";
import {
  Cleanups,
  estimate,
  QUIET_LIMIT,
  type RunContext,
  runSeconds,
} from "./context.ts";
import { buildLoadgen } from "./gcc.ts";
import {
  emptyResult,
  measureCapacity,
  measureCell,
  measureOpenLoop,
} from "./measure.ts";
import { describeNoise } from "./quiet.ts";
import { destination, writeResults } from "./output.ts";
import { reproduce } from "./reproduce.ts";
import { countStep, writeCounts } from "./count_run.ts";
import { type BenchResults, formatResults, parseResults } from "./results.ts";

const options = parseOptions(Deno.args);
if (options.from) {
  // A run the quiet check kept, looked at and accepted: written where it
  // would have gone, its noisy measurements marked as --accept-noise marks
  // them, with a note saying how it was written.
  const run = parseResults(await Deno.readTextFile(options.from));
  run.notes.push(
    `Written after the run with --accept-noise --from: ` +
      `${run.quiet?.noisy.length ?? 0} measurement(s) stayed noisy (marked †).`,
  );
  console.log(
    await writeResults(
      await destination(
        options.out,
        run.settings,
        parseOptions([]).settings,
        run.date,
      ),
      run,
    ),
  );
  Deno.exit(0);
}
const { settings, loadgenThreads } = options;
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
    `Before the run, other work kept ${backgroundCores.toFixed(2)} cores busy.`,
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
  attempts: options.attempts,
  noisy: [],
  progress: new Progress(0),
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

if (options.reproduce) {
  const code = await reproduce(ctx, servers, { against: options.reproduce });
  await Deno.remove(tempDir, { recursive: true }).catch(() => {});
  Deno.exit(code);
}

if (options.count) {
  // The counting pass alone, at the connections the committed run held.
  const committed = parseResults(await Deno.readTextFile(COMMITTED));
  const counts = await countStep(ctx, servers, {
    backgroundCores,
    probed: committed.servers,
  });
  console.log(counts ? await writeCounts(options.out, counts) : notes.at(-1));
  await Deno.remove(tempDir, { recursive: true }).catch(() => {});
  Deno.exit(counts ? 0 : 1);
}

ctx.progress = new Progress(
  runSeconds(settings, servers.map(() => Infinity)),
);
console.error(
  `bench: at most about ${clock(ctx.progress.total)} (m:ss) on a quiet machine`,
);
const results = servers.map(emptyResult);
// 1. Capacity and idle CPU, one server at a time.
for (const [i, server] of servers.entries()) {
  await measureCapacity(ctx, server, results[i]);
}
// Now that the probes said which cells each server holds, the estimate.
const held = (server: BenchServer) => {
  const result = results[servers.indexOf(server)];
  return result.error ? 0 : result.capacity!.held;
};
const extra = await extraCells(settings, servers);
ctx.progress.total = ctx.progress.done + runSeconds(
  settings,
  servers.map(held),
) - servers.length * estimate.probe(settings) +
  extra.reduce(
    (sum, { cell, servers }) =>
      sum + settings.rounds * estimate.closed(settings, cell.connections) *
        servers.filter((s) => held(s) >= cell.connections).length,
    0,
  );
// 2. The closed-loop cells, every server in every round; then the cells
// chapters asked for, their servers and the C reference in every round.
for (const size of settings.sizes) {
  for (const connections of settings.connections) {
    await measureCell(ctx, servers, results, { connections, size });
  }
}
for (const { cell, servers: some } of extra) {
  const of = some.map((s) => results[servers.indexOf(s)]);
  await measureCell(ctx, some, of, cell);
}
// 3. The open-loop rates, one server at a time.
if (settings.rates.length > 0) {
  for (const [i, server] of servers.entries()) {
    await measureOpenLoop(ctx, server, results[i]);
  }
}
// 4. The counting pass, untimed: system calls and wake-ups per round trip.
const counts = settings.quick
  ? undefined
  : await countStep(ctx, servers, { backgroundCores, probed: results });
ctx.progress.end();
for (const result of results) console.error(summaryLine(result));

const date = new Date().toISOString();
const run: BenchResults = {
  schema: 3,
  date,
  args: Deno.args,
  machine,
  backgroundCores,
  reference: results.some((s) => s.id === "reference c" && !s.error)
    ? "reference c"
    : null,
  quiet: {
    limitCores: QUIET_LIMIT,
    maxAttempts: ctx.attempts,
    noisy: ctx.noisy,
  },
  settings,
  loadgen: { name: "c", threads: loadgenThreads },
  notes,
  servers: results,
  ...(counts ? { counts } : {}),
};
await Deno.remove(tempDir, { recursive: true }).catch(() => {});
if (ctx.noisy.length > 0) {
  console.error(
    `bench: ${ctx.noisy.length} measurement(s) had more than ${QUIET_LIMIT} ` +
      `core of other work beside them after ${ctx.attempts} attempt(s):\n` +
      describeNoise(ctx).map((line) => `  ${line}`).join("\n"),
  );
  if (!options.acceptNoise) {
    const kept = await Deno.makeTempFile({
      prefix: "echo-lab-bench-noisy-",
      suffix: ".json",
    });
    await Deno.writeTextFile(kept, formatResults(run));
    console.error(
      `bench: results not written (kept for a look in ${kept}); run again ` +
        `on a quiet machine, or with --accept-noise to write them marked`,
    );
    Deno.exit(1);
  }
}
const to = await destination(
  options.out,
  settings,
  parseOptions([]).settings,
  date,
);
console.log(await writeResults(to, run));
Deno.exit(0);

/** How many cores the whole machine keeps busy over `ms`. */
async function busyCores(ms: number): Promise<number> {
  const before = machineCpuSeconds();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (machineCpuSeconds() - before) / (ms / 1000);
}
