/**
 * The exercise checks have teeth, both ways, for every exercise: the stub as
 * shipped, treated as started, fails them; the chapter's own server.ts, put
 * in the exercise's place, passes them. Every wrong solution in testdata/
 * fails, and says why; so does another chapter's server submitted as this
 * chapter's. A changed task in a chapter's deno.json fails, naming the
 * change. And solving one
 * exercise by hand, in a copy of the repository, turns it to done in `learn`
 * and in the test summary.
 *
 * The checks run two at a time (each starts its own servers on free ports),
 * inside one test per group so that every operation they start also ends
 * there; each case is then reported as a step of its own.
 */
import assert from "node:assert/strict";
import { basename, join, relative } from "node:path";
import { applyChanges, type Change } from "@echo-lab/harness/change";
import { ROOT } from "@echo-lab/harness/chapters";
import { checkFile, type CheckResult, loadModel } from "./checks.ts";
import {
  discoverExercises,
  type Exercise,
  exerciseNamed,
  NOT_DONE,
} from "./exercise.ts";
import { solvedByHand, stubOf } from "./stub.ts";

const exercises = discoverExercises();
// Each chapter's model.ts, loaded before any test: a model may load FFI
// bindings (05's select.ts does), which a test must not leave loaded.
for (const exercise of exercises) await loadModel(exercise.chapter);
const TESTDATA = join(import.meta.dirname!, "testdata");

/** One case: a source submitted as an exercise, and what must happen. */
interface Case {
  name: string;
  exercise: Exercise;
  /** The source to submit, written beside the chapter's server.ts... */
  source?: string;
  /** ...or a file to submit where it is (another chapter's server). */
  file?: string;
  /** The reason it must fail with; undefined: it must pass. */
  says?: RegExp;
  /** Must not fail at start (a stub is a whole program). */
  starts?: boolean;
  /** The chapter's tasks as the reader changed them. */
  tasks?: Record<string, string>;
}

/** Runs every case, two at a time, then reports each as a step. */
async function runCases(t: Deno.TestContext, cases: Case[]): Promise<void> {
  const outcomes = new Array<CheckResult | undefined>(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      const { exercise, source, file, tasks } = cases[i];
      const target = tasks
        ? { ...exercise, chapter: { ...exercise.chapter, tasks } }
        : exercise;
      outcomes[i] = file
        ? await firstFailure(target, file)
        : await inPlace(exercise, source!, (at) => firstFailure(target, at));
    }
  };
  await Promise.all([worker(), worker()]);
  for (const [i, { name, says, starts }] of cases.entries()) {
    await t.step(name, () => {
      const failed = outcomes[i];
      if (!says && !starts) {
        assert.ok(!failed, `${failed?.name}: ${failed?.message}`);
        return;
      }
      assert.ok(failed, "a wrong solution passed every check");
      if (starts) {
        assert.notEqual(
          failed.name,
          "the server starts and says where it listens",
          failed.message,
        );
      }
      if (says) assert.match(`${failed.name}: ${failed.message}`, says);
      // Told to a person: no colour codes, no stack trace.
      assert.ok(!failed.message!.includes("\x1b["), "colour codes");
      assert.doesNotMatch(failed.message!, /^\s+at /m, "a stack trace");
    });
  }
}

Deno.test("exercises: each chapter's server.ts, in the exercise's place, passes; each stub fails", async (t) => {
  await runCases(t, [
    ...exercises.map((exercise) => ({
      name: `${exercise.number}: server.ts passes`,
      exercise,
      source: Deno.readTextFileSync(exercise.solution),
    })),
    ...exercises.map((exercise) => ({
      name: `${exercise.number}: the stub, treated as started, fails`,
      exercise,
      source: stubOf(exercise).split("\n")
        .filter((line) => line.trim() !== NOT_DONE).join("\n"),
      starts: true,
    })),
  ]);
});

/** A wrong solution, as testdata/NN-name.json lists them for chapter
 * NN-name: the chapter's own file with a small mistake made in it. */
interface WrongSolution {
  name: string;
  /** What is wrong, in a sentence. */
  mistake: string;
  /** The reason (a regular expression) the checks must fail it with. */
  expect: string;
  /** The chapter's file the mistake is made in, submitted whole. */
  file: string;
  changes: Change[];
}

Deno.test("exercises: every wrong solution in testdata/ fails, and says why", async (t) => {
  const cases: Case[] = [];
  for (const { name } of Deno.readDirSync(TESTDATA)) {
    const chapter = basename(name, ".json");
    const exercise = exerciseNamed(chapter);
    const wrong: WrongSolution[] = JSON.parse(
      Deno.readTextFileSync(join(TESTDATA, name)),
    );
    for (const { name, expect, file, changes } of wrong) {
      cases.push({
        name: `${chapter}/${name}`,
        exercise,
        // Built from the chapter's file as it is now; a change that no
        // longer applies throws, rather than test the right solution.
        source: applyChanges(
          Deno.readTextFileSync(join(exercise.chapter.dir, file)),
          changes,
          `testdata/${chapter}.json, ${name}`,
        ),
        says: new RegExp(expect),
      });
    }
  }
  cases.sort((a, b) => a.name.localeCompare(b.name));
  await runCases(t, cases);
});

/** Another chapter's server.ts submitted as an exercise: each must fail,
 * and say why in the exercise's terms. */
const CHEATS: { submitted: string; as: string; says: RegExp }[] = [
  { submitted: "04", as: "01", says: /B got its echo while client A/ },
  { submitted: "01", as: "02", says: /serves one client at a time/ },
  { submitted: "01", as: "05", says: /serves one client at a time/ },
  { submitted: "06", as: "05", says: /asleep in epoll_wait on a socket/ },
  {
    submitted: "04",
    as: "06",
    says: /kept using .* CPU|no thread .* epoll_wait/,
  },
  { submitted: "06", as: "07", says: /FFI/ },
  {
    submitted: "06",
    as: "09",
    says: /not io_uring_enter|epoll_wait on a socket/,
  },
  {
    submitted: "06",
    as: "10",
    says: /in chapter 10 every socket waits in one loop/,
  },
];

Deno.test("exercises: another chapter's server submitted fails, and says why; so does a changed task", async (t) => {
  const epoll = exerciseNamed("06");
  const loosened = Object.fromEntries(
    Object.entries(epoll.chapter.tasks).map(([task, line]) => [
      task,
      line.replace("--allow-ffi", "--allow-ffi --allow-net"),
    ]),
  );
  await runCases(t, [
    ...CHEATS.map(({ submitted, as, says }) => ({
      name: `chapter ${submitted}'s server submitted as ${as}`,
      exercise: exerciseNamed(as),
      file: exerciseNamed(submitted).solution,
      says,
    })),
    {
      name: "chapter 07's server submitted as 06: Deno's own async I/O",
      exercise: epoll,
      source: Deno.readTextFileSync(exerciseNamed("07").solution),
      says: /asked Deno for the network/,
    },
    {
      name: "06 with --allow-net added to its task, running Deno's async I/O",
      exercise: epoll,
      source: Deno.readTextFileSync(exerciseNamed("07").solution),
      tasks: loosened,
      says: /the task "server" in chapters\/06-epoll\/deno\.json was changed/,
    },
  ]);
});

Deno.test("exercises: solving one by hand turns it to done, in learn and in the test summary", async () => {
  const copy = await Deno.makeTempDir({ prefix: "echo-lab-exercises-" });
  try {
    copyRepository(copy);
    // Every exercise as shipped, whatever state this checkout's are in.
    for (const exercise of exercises) {
      Deno.writeTextFileSync(
        join(copy, relative(ROOT, exercise.file)),
        stubOf(exercise),
      );
    }
    const [first] = exercises;
    const file = join(copy, relative(ROOT, first.file));
    // Copy the solution regions in, delete the marker line.
    Deno.writeTextFileSync(
      file,
      solvedByHand(Deno.readTextFileSync(first.solution)),
    );
    // Not checked yet: learn runs no check, and says so.
    const before = await run(copy, ["task", "learn"]);
    assert.match(before.text, /not checked since your last edit/);
    const check = await run(copy, ["task", "exercise", first.number]);
    assert.equal(check.code, 0, check.text);
    const learn = await run(copy, ["task", "learn"]);
    assert.equal(learn.code, 0, learn.text);
    assert.match(
      learn.text,
      new RegExp(`^${first.number} ${first.title} ✓`, "m"),
    );
    assert.match(
      learn.text,
      new RegExp(`exercises: 1/${exercises.length} done`),
    );
    assert.match(
      learn.text,
      new RegExp(`Next: exercise ${exercises[1].number}`),
    );
    const test = await run(copy, [
      "test",
      "--allow-all",
      "exercises/exercises_test.ts",
    ]);
    assert.equal(test.code, 0, test.text);
    assert.match(
      test.text,
      new RegExp(`exercises: 1/${exercises.length} done`),
    );
    // An edit after the pass: learn no longer counts it, until checked.
    Deno.writeTextFileSync(file, Deno.readTextFileSync(file) + "\n// edited\n");
    const edited = await run(copy, ["task", "learn"]);
    assert.match(
      edited.text,
      new RegExp(`exercises: 0/${exercises.length} done`),
    );
    // And exercise:reset puts the stub back.
    const reset = await run(copy, [
      "run",
      "-A",
      "exercises/main.ts",
      "reset",
      first.number,
    ]);
    assert.equal(reset.code, 0, reset.text);
    assert.equal(
      Deno.readTextFileSync(file),
      stubOf(first),
    );
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});

/** Runs `check` on `source` written beside the chapter's server.ts (where
 * the reader's my_server.ts is), and removes it after. */
async function inPlace<T>(
  exercise: Exercise,
  source: string,
  check: (file: string) => Promise<T>,
): Promise<T> {
  const file = await Deno.makeTempFile({
    dir: exercise.chapter.dir,
    prefix: ".exercise-test-",
    suffix: ".ts",
  });
  try {
    await Deno.writeTextFile(file, source);
    return await check(file);
  } finally {
    await Deno.remove(file);
  }
}

async function firstFailure(
  exercise: Exercise,
  file: string,
): Promise<CheckResult | undefined> {
  return (await checkFile(exercise, file)).find((result) => !result.ok);
}

/** The repository's files as git tracks them (the working copy of each),
 * into `dir`. */
function copyRepository(dir: string): void {
  const { stdout } = new Deno.Command("git", {
    args: ["ls-files", "-z"],
    cwd: ROOT,
    stdout: "piped",
  }).outputSync();
  for (const path of new TextDecoder().decode(stdout).split("\0")) {
    if (!path) continue;
    const target = join(dir, path);
    Deno.mkdirSync(join(target, ".."), { recursive: true });
    try {
      Deno.copyFileSync(join(ROOT, path), target);
    } catch { /* deleted in the working copy */ }
  }
}

async function run(cwd: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, text: decode(stdout) + decode(stderr) };
}
