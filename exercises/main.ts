/**
 * The exercises' command line, run from the repository root:
 *
 *     deno task learn [--watch]          progress, and what to do next
 *     deno task exercise NN [--solution] check my_server.ts (or server.ts)
 *     deno task hint NN [1|2|3]          a hint, each more specific
 *     deno task exercise:reset NN        my_server.ts back to the stub
 *     deno task exercise:stubs           write every stub from server.ts
 *
 * @module
 */
import { relative } from "node:path";
import { ROOT } from "@echo-lab/harness/chapters";
import { wrap } from "@echo-lab/harness/text";
import type { CheckResult } from "./checks.ts";
import {
  discoverExercises,
  type Exercise,
  exerciseNamed,
  isStarted,
  yourTurn,
} from "./exercise.ts";
import type { Status } from "./progress.ts";
import { answerRegions, stubOf } from "./stub.ts";
import { fixitProgress } from "@echo-lab/fixit/progress";

const [command, ...args] = Deno.args;
const commands: Record<string, (args: string[]) => Promise<number>> = {
  learn,
  exercise,
  hint,
  reset,
  stubs,
};
if (!(command in commands)) {
  console.error(`usage: main.ts ${Object.keys(commands).join("|")} ...`);
  Deno.exit(2);
}
try {
  Deno.exit(await commands[command](args));
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  Deno.exit(1);
}

/** The progress list, then the first exercise not done. With `--watch`,
 * each save of a my_server.ts checks it (as `deno task exercise NN` would)
 * and shows the list again. */
async function learn(args: string[]): Promise<number> {
  await showProgress();
  if (!args.includes("--watch")) return 0;
  console.log("\nwatching for saves (Ctrl-C to stop)...");
  let timer: ReturnType<typeof setTimeout> | undefined;
  for await (const event of Deno.watchFs(`${ROOT}/chapters`)) {
    const saved = discoverExercises().find((target) =>
      event.paths.includes(target.file)
    );
    if (!saved) continue;
    clearTimeout(timer);
    timer = setTimeout(() => {
      console.clear();
      checkAndRecord(saved, saved.file)
        .then(showProgress)
        .catch((error) => console.error(`error: ${error.message}`))
        .then(() => console.log("\nwatching for saves (Ctrl-C to stop)..."));
    }, 200);
  }
  return 0;
}

/** Every section `learn` prints, in order: each reads what is recorded and
 * runs no check. A new kind of exercise adds its own here. */
function progressSections(): (() => Promise<void>)[] {
  return [exerciseProgress, async () => console.log(await fixitProgress())];
}

async function showProgress(): Promise<void> {
  for (const section of progressSections()) await section();
}

/** The exercises: the list, the count done, and what to do next. */
async function exerciseProgress(): Promise<void> {
  const { progressLine, statusOf } = await import("./progress.ts");
  const all = discoverExercises();
  // The current exercise is the first in progress, or else the first not
  // started.
  const statuses: {
    exercise: Exercise;
    status: Status;
    failed?: CheckResult;
    checked: boolean;
  }[] = [];
  for (const exercise of all) {
    statuses.push({ exercise, ...await statusOf(exercise) });
  }
  const current = statuses.find((entry) => entry.status === "in progress") ??
    statuses.find((entry) => entry.status === "not started");
  const done = statuses.filter((entry) => entry.status === "done").length;
  console.log(progressLine(statuses));
  console.log(`exercises: ${done}/${all.length} done`);
  if (!current) {
    console.log("\nEvery exercise passes. Well done!");
    return;
  }
  const { exercise, failed, status, checked } = current;
  const { task } = yourTurn(exercise);
  console.log(`
Next: exercise ${exercise.number} (${exercise.chapter.name})
  edit:  ${relative(ROOT, exercise.file)}
  task:  ${wrap(task, "         ")}`);
  if (failed) {
    console.log(
      `  first failing check: ${failed.name}\n    ${indent(failed.message!)}`,
    );
  } else if (status === "in progress" && !checked) {
    console.log("  not checked since your last edit.");
  } else {
    console.log(
      '  not started: write your code, then delete the "// I AM NOT DONE" line\n' +
        "  to have it checked.",
    );
  }
  console.log(
    `  check: deno task exercise ${exercise.number}    hint: deno task hint ${exercise.number}`,
  );
}

/** Checks `file` for `target`, printing each result; the reader's own file
 * has its outcome recorded for `learn`. */
async function checkAndRecord(
  target: Exercise,
  file: string,
): Promise<CheckResult[]> {
  const { checkFile } = await import("./checks.ts");
  const { record } = await import("./progress.ts");
  console.log(
    `exercise ${target.number} (${target.chapter.name}): checking ${
      relative(ROOT, file)
    }`,
  );
  const results = await checkFile(target, file, (result) => {
    console.log(`  ${result.ok ? "✓" : "✗"} ${result.name}`);
    if (!result.ok) console.log(`    ${indent(result.message!)}`);
  });
  if (file === target.file && isStarted(target)) await record(target, results);
  return results;
}

/** Runs the checks on the reader's file, or with `--solution` on the
 * chapter's server.ts; exit 0 only when every check passes. */
async function exercise(args: string[]): Promise<number> {
  const target = exerciseNamed(needNumber(args));
  const file = args.includes("--solution") ? target.solution : target.file;
  const results = await checkAndRecord(target, file);
  const ok = results.every((result) => result.ok);
  const started = file === target.solution || isStarted(target);
  if (!ok) {
    console.log(
      `exercise ${target.number}: not yet. A hint: deno task hint ${target.number}`,
    );
  } else if (!started) {
    console.log(
      `exercise ${target.number}: every check passes, but the file still has ` +
        `its "// I AM NOT DONE" line: delete it and the exercise is done`,
    );
  } else console.log(`exercise ${target.number}: every check passes`);
  return ok && started ? 0 : 1;
}

/** Hint N (1 to 3) of an exercise, from its README's "Your turn". */
function hint(args: string[]): Promise<number> {
  const target = exerciseNamed(needNumber(args));
  const { hints } = yourTurn(target);
  const n = Math.min(Math.max(Number(args[1] ?? 1) || 1, 1), hints.length);
  console.log(`exercise ${target.number}, hint ${n} of ${hints.length}:\n`);
  console.log(hints[n - 1]);
  if (n < hints.length) {
    console.log(`\nmore specific: deno task hint ${target.number} ${n + 1}`);
  } else {
    const file = relative(ROOT, target.solution);
    const regions = answerRegions(Deno.readTextFileSync(target.solution));
    console.log(`\nThe answer is the chapter's own code, in ${file}:`);
    for (const { name, from, to } of regions) {
      console.log(`  ${file}:${from}-${to}  (region exercise-${name})`);
    }
  }
  return Promise.resolve(0);
}

/** Puts the shipped stub back. */
function reset(args: string[]): Promise<number> {
  const target = exerciseNamed(needNumber(args));
  Deno.writeTextFileSync(target.file, stubOf(target));
  console.log(`${relative(ROOT, target.file)}: back to the stub as shipped`);
  return Promise.resolve(0);
}

/** Writes every exercise's stub from its chapter's server.ts. */
function stubs(): Promise<number> {
  for (const target of discoverExercises()) {
    Deno.writeTextFileSync(target.file, stubOf(target));
    console.log(`wrote ${relative(ROOT, target.file)}`);
  }
  return Promise.resolve(0);
}

function needNumber(args: string[]): string {
  if (!args[0] || args[0].startsWith("-")) {
    throw new Error("which exercise? e.g. 06");
  }
  return args[0];
}

function indent(text: string): string {
  return text.replaceAll("\n", "\n    ");
}
