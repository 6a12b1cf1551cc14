/**
 * `deno task trace [chapter ...]`: runs the fixed scenario against each
 * chapter's server under strace and writes, per chapter, into
 * `trace/results/NN-name/`:
 * - `trace.txt`: the annotated excerpt,
 * - `timeline.svg`: the lanes-and-bars picture,
 * - `meta.json`: when, on what machine, and the summary the tests check.
 *
 * `deno task trace NN --mine` traces the chapter's server and your
 * `my_server.ts` through the same scenario, prints the system calls per
 * round trip side by side with each difference in words, and writes yours
 * into `trace/results/NN-name/mine/` (not committed), beside the
 * reference's.
 *
 * @module
 */
import { join } from "node:path";
import { discoverChapters } from "@echo-lab/harness/chapters";
import { describeMachine, machineLine } from "@echo-lab/harness/machine";
import { record } from "./record.ts";
import { straceWorks } from "@echo-lab/harness/strace";
import { summarize } from "./analyze.ts";
import { excerpt } from "./excerpt.ts";
import { timelineSvg } from "./timeline.ts";
import { compare } from "./compare.ts";

const RESULTS = join(import.meta.dirname!, "results");
/** The exercise's file, traced by `--mine`. */
const MY_SERVER = "my_server.ts";

if (import.meta.main) {
  const problem = await straceWorks();
  if (problem) {
    console.error(`error: ${problem}`);
    Deno.exit(1);
  }
  const mine = Deno.args.includes("--mine");
  const wanted = Deno.args.filter((arg) => arg !== "--mine");
  // A chapter by folder name (06-epoll) or by its number (06).
  const chapters = discoverChapters().filter((c) =>
    wanted.length === 0 ||
    wanted.some((name) => c.name === name || c.name.startsWith(`${name}-`))
  );
  if (chapters.length === 0) {
    console.error(`error: no chapter named ${wanted.join(", ")}`);
    Deno.exit(2);
  }
  if (mine && wanted.length !== 1) {
    console.error(
      "error: --mine traces one chapter: deno task trace 06 --mine",
    );
    Deno.exit(2);
  }
  const machine = await describeMachine();
  for (const chapter of chapters) {
    let recording;
    if (mine) {
      try {
        Deno.statSync(join(chapter.dir, MY_SERVER));
      } catch {
        console.error(`error: ${chapter.name} has no ${MY_SERVER} to trace`);
        Deno.exit(2);
      }
      console.log(`tracing ${chapter.name}: the reference server.ts ...`);
      const reference = await record(chapter);
      console.log(`tracing ${chapter.name}: your ${MY_SERVER} ...`);
      recording = await record(chapter, "server", MY_SERVER);
      console.log(`\n${compare(recording, reference)}\n`);
    } else {
      console.log(`tracing ${chapter.name} ...`);
      recording = await record(chapter);
    }
    const date = new Date().toISOString();
    const caption = `${chapter.name}${mine ? ` (${MY_SERVER})` : ""} · ${
      machineLine(machine, date)
    }`;
    const dir = join(RESULTS, chapter.name, mine ? "mine" : "");
    await Deno.mkdir(dir, { recursive: true });
    const summary = summarize(recording);
    await Deno.writeTextFile(
      join(dir, "trace.txt"),
      excerpt(recording, caption),
    );
    await Deno.writeTextFile(
      join(dir, "timeline.svg"),
      timelineSvg(recording, caption),
    );
    await Deno.writeTextFile(
      join(dir, "meta.json"),
      JSON.stringify(
        { chapter: chapter.name, task: recording.task, date, machine, summary },
        null,
        2,
      ) + "\n",
    );
    if (mine) {
      console.log(`yours: ${dir}/ (timeline.svg beside ../timeline.svg)`);
    }
    console.log(
      `  ${
        Object.entries(summary.sleptIn).map(([call, where]) =>
          `${call} slept on ${where.join(", ")}`
        ).join("; ") || "no thread ever slept"
      }`,
    );
  }
}
