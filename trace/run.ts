/**
 * `deno task trace [chapter ...]`: runs the fixed scenario against each
 * chapter's server under strace and writes, per chapter, into
 * `trace/results/NN-name/`:
 * - `trace.txt`: the annotated excerpt,
 * - `timeline.svg`: the lanes-and-bars picture,
 * - `meta.json`: when, on what machine, and the summary the tests check.
 *
 * @module
 */
import { join } from "node:path";
import { discoverChapters } from "@echo-lab/harness/chapters";
import { describeMachine, machineLine } from "@echo-lab/harness/machine";
import { record, straceWorks } from "./record.ts";
import { summarize } from "./analyze.ts";
import { excerpt } from "./excerpt.ts";
import { timelineSvg } from "./timeline.ts";

const RESULTS = join(import.meta.dirname!, "results");

if (import.meta.main) {
  const problem = await straceWorks();
  if (problem) {
    console.error(`error: ${problem}`);
    Deno.exit(1);
  }
  const wanted = new Set(Deno.args);
  const chapters = discoverChapters().filter((c) =>
    wanted.size === 0 || wanted.has(c.name)
  );
  if (chapters.length === 0) {
    console.error(`error: no chapter named ${[...wanted].join(", ")}`);
    Deno.exit(2);
  }
  const machine = await describeMachine();
  for (const chapter of chapters) {
    console.log(`tracing ${chapter.name} ...`);
    const recording = await record(chapter);
    const date = new Date().toISOString();
    const caption = `${chapter.name} · ${machineLine(machine, date)}`;
    const dir = join(RESULTS, chapter.name);
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
    console.log(
      `  ${
        Object.entries(summary.sleptIn).map(([call, where]) =>
          `${call} slept on ${where.join(", ")}`
        ).join("; ") || "no thread ever slept"
      }`,
    );
  }
}
