/**
 * The exercise checks have teeth, both ways, for every exercise: the stub as
 * shipped, treated as started, fails them; the chapter's own server.ts, put
 * in the exercise's place, passes them. A wrong model fails too (another
 * chapter's server submitted as this chapter's), with a message that says
 * why. And solving one exercise by hand, in a copy of the repository, turns
 * it to done in `learn` and in the test summary.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { ROOT } from "@echo-lab/harness/chapters";
import { checkFile, type CheckResult } from "./checks.ts";
import {
  discoverExercises,
  type Exercise,
  exerciseNamed,
  NOT_DONE,
} from "./exercise.ts";
import { solvedByHand, stubOf } from "./stub.ts";

const exercises = discoverExercises();

for (const exercise of exercises) {
  const name = `exercise ${exercise.number} (${exercise.chapter.name})`;

  Deno.test(`${name}: the stub, treated as started, fails its checks`, async () => {
    const stub = stubOf(exercise)
      .split("\n").filter((line) => line.trim() !== NOT_DONE).join("\n");
    const failed = await inPlace(
      exercise,
      stub,
      (file) => firstFailure(exercise, file),
    );
    assert.ok(failed, "the stub passed every check");
    assert.notEqual(
      failed.name,
      "the server starts and says where it listens",
      failed.message,
    );
  });

  Deno.test(`${name}: the chapter's server.ts, in the exercise's place, passes`, async () => {
    const failed = await inPlace(
      exercise,
      Deno.readTextFileSync(exercise.solution),
      (file) => firstFailure(exercise, file),
    );
    assert.ok(!failed, `${failed?.name}: ${failed?.message}`);
  });
}

/** Another chapter's server.ts submitted as an exercise: each must fail,
 * and say why in the exercise's terms. */
const CHEATS: { submitted: string; as: string; says: RegExp }[] = [
  { submitted: "04", as: "01", says: /B got its echo while client A/ },
  { submitted: "01", as: "02", says: /serves one client at a time/ },
  { submitted: "01", as: "05", says: /serves one client at a time/ },
  { submitted: "06", as: "05", says: /never slept in select/ },
  { submitted: "04", as: "06", says: /never slept in epoll_wait/ },
  { submitted: "07", as: "06", says: /Deno\.listen/ },
  { submitted: "06", as: "07", says: /FFI/ },
  { submitted: "06", as: "09", says: /never slept in io_uring_enter/ },
];

for (const { submitted, as, says } of CHEATS) {
  const exercise = exerciseNamed(as);
  const cheat = exerciseNamed(submitted);
  Deno.test(`exercise ${as}: chapter ${submitted}'s server submitted as ${as} fails, and says why`, async () => {
    const failed = await firstFailure(exercise, cheat.solution);
    assert.ok(failed, "a wrong model passed every check");
    assert.match(failed.message!, says);
  });
}

Deno.test("exercise 06: a loop that polls epoll on a timer fails: it sleeps, but not in its own epoll_wait", async () => {
  // The chapter's code with one change: epoll_wait never waits (timeout 0),
  // and the loop sleeps on a 5 ms timer instead, in Deno's event loop.
  const exercise = exerciseNamed("06");
  const source = Deno.readTextFileSync(exercise.solution);
  const wait = "const ready = epollWait(epfd, events, timeout);";
  assert.ok(source.includes(wait), "06's loop no longer reads as expected");
  const polling = source.replace(
    wait,
    "await new Promise((r) => setTimeout(r, 5));\n" +
      "const ready = epollWait(epfd, events, 0);",
  );
  const failed = await inPlace(
    exercise,
    polling,
    (file) => firstFailure(exercise, file),
  );
  assert.ok(failed, "a timer-polling loop passed every check");
  assert.match(failed.message!, /does not watch its listening socket/);
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
    const learn = await run(copy, [
      "run",
      "--allow-all",
      "exercises/main.ts",
      "learn",
    ]);
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
