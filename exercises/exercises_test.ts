/**
 * The reader's exercises, as part of `deno task test`: an exercise not
 * started (its stub still says "I AM NOT DONE") is reported and passes; a
 * started one must pass every check. The last test prints the summary line,
 * `exercises: N/M done`.
 *
 * Also here: the shipped stubs are exactly what the generator makes, and
 * every exercise has its task, three hints and a model check.
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { ROOT } from "@echo-lab/harness/chapters";
import { checkFile, loadModel } from "./checks.ts";
import {
  discoverExercises,
  isStarted,
  NOT_DONE,
  yourTurn,
} from "./exercise.ts";
import { stubOf } from "./stub.ts";

const exercises = discoverExercises();
// Each chapter's model.ts, loaded before any test: a model may load FFI
// bindings (05's select.ts does), which a test must not leave loaded.
const models = new Map(
  await Promise.all(
    exercises.map(async (e) => [e.number, await loadModel(e.chapter)] as const),
  ),
);
let done = 0;

for (const exercise of exercises) {
  const name = `exercise ${exercise.number} (${exercise.chapter.name})`;
  Deno.test(`${name}: ${isStarted(exercise) ? "checked" : "not started"}`, async () => {
    if (!isStarted(exercise)) {
      console.log(`${name}: not started`);
      return;
    }
    const failed = (await checkFile(exercise, exercise.file))
      .find((result) => !result.ok);
    assert.ok(
      !failed,
      `${relative(ROOT, exercise.file)}: ${failed?.name}\n${failed?.message}`,
    );
    done++;
  });
}

Deno.test("exercises: summary", () => {
  console.log(`exercises: ${done}/${exercises.length} done`);
});

Deno.test("exercises: every shipped stub is what `deno task exercise:stubs` makes", () => {
  for (const exercise of exercises) {
    const path = relative(ROOT, exercise.file);
    const stub = stubOf(exercise);
    // Just regenerated, or a reader's edits on top of a current stub.
    if (Deno.readTextFileSync(exercise.file) === stub) continue;
    const shipped = committed(path);
    if (!shipped.split("\n").some((line) => line.trim() === NOT_DONE)) {
      // Committed without its marker: the reader's own solution, not a stub.
      console.log(`${path}: your solution, not the stub: not compared`);
      continue;
    }
    assert.equal(
      shipped,
      stub,
      `${path} (as committed) differs from what its chapter's server.ts ` +
        `makes: run deno task exercise:stubs`,
    );
  }
});

Deno.test("exercises: each has a task, three hints and a model check", () => {
  assert.ok(exercises.length > 0, "no chapter marks an exercise region");
  for (const exercise of exercises) {
    const { task, hints } = yourTurn(exercise);
    assert.ok(task.length > 40, `${exercise.readme}: the task is missing`);
    assert.equal(hints.length, 3, `${exercise.readme}: hints`);
    assert.ok(
      models.get(exercise.number)?.promise,
      `${exercise.chapter.name} model`,
    );
  }
});

Deno.test("exercises: `hint NN 3` is the third hint and names the answer's lines", async () => {
  for (const exercise of exercises) {
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "exercises/main.ts",
        "hint",
        exercise.number,
        "3",
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout);
    assert.equal(code, 0);
    assert.match(text, /hint 3 of 3/);
    assert.match(
      text,
      new RegExp(
        `${relative(ROOT, exercise.solution)}:\\d+-\\d+ +\\(region exercise-`,
      ),
    );
  }
});

/** The file as committed (a reader's edits in progress are their exercise,
 * not drift); outside a git checkout, the file as it is. */
function committed(path: string): string {
  const { code, stdout } = new Deno.Command("git", {
    args: ["show", `HEAD:${path}`],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  if (code !== 0) return Deno.readTextFileSync(`${ROOT}/${path}`);
  return new TextDecoder().decode(stdout);
}
