/**
 * Checking a server file against an exercise: the echo contract every
 * chapter passes (harness/conformance.ts), then the chapter's model (its
 * `model.ts`, which its own tests run too) on every variant of its server.
 * The file runs under the chapter's server tasks as committed (git), so it
 * gets exactly the permissions the chapter's server.ts gets; a task changed
 * in the working copy fails, saying what changed.
 *
 * @module
 */
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { type Chapter, ROOT, taskCommand } from "@echo-lab/harness/chapters";
import { type Model, watchForStall } from "@echo-lab/harness/probe";
import { assertCleanStop, echoChecks } from "@echo-lab/harness/conformance";
import {
  processState,
  type RunningServer,
  startProcess,
} from "@echo-lab/harness/process";
import { withTimeout } from "@echo-lab/harness/net";
import type { Exercise } from "./exercise.ts";

/** Starts a server from `file` (plus `args`) the way a check needs it. */
export type Launch = (args?: string[]) => Promise<RunningServer>;

/** One check's outcome; `message` says what went wrong, in the reader's
 * terms, when `ok` is false. */
export interface CheckResult {
  name: string;
  ok: boolean;
  message?: string;
}

/** How long one echo check may take before it counts as "no answer". */
const CHECK_TIMEOUT_MS = 15_000;

/** Runs the checks of `exercise` on `file`, in order, and stops at the first
 * that fails (the later ones would only fail for the same reason): it
 * starts; the chapter's model holds on every variant; the echo contract;
 * a clean stop. */
export async function checkFile(
  exercise: Exercise,
  file: string,
  onResult: (result: CheckResult) => void = () => {},
): Promise<CheckResult[]> {
  const launch = launcher(exercise, file);
  const results: CheckResult[] = [];
  const changed = changedTasks(exercise.chapter);
  const run = async (name: string, check: () => Promise<void>) => {
    let result: CheckResult;
    try {
      await check();
      result = { name, ok: true };
    } catch (error) {
      // A failed check can also fail to stop its server: report the first.
      const first = error instanceof SuppressedError ? error.error : error;
      result = { name, ok: false, message: (first as Error).message };
    }
    results.push(result);
    onResult(result);
    return result.ok;
  };
  const model = await loadModel(exercise.chapter);
  let passed = await run(
    "the server starts and says where it listens",
    async () => {
      if (changed) throw new Error(changed);
      await using _server = await launch();
    },
  );
  // The model first: its checks load the server and then leave it idle,
  // which is where a wrong loop shows, and they say why in the chapter's
  // terms. A loop that spins would otherwise first show as a slow echo.
  for (const variant of variants(exercise.chapter)) {
    if (!passed) break;
    const name = variant === "server" ? "" : ` (deno task ${variant})`;
    passed = await run(
      `the model${name}: ${model.promise}`,
      () => model.check(launcher(exercise, file, variant), variant),
    );
  }
  passed &&= await run("echo contract", async () => {
    await using server = await launch();
    for (const [i, [name, check]] of Object.entries(echoChecks).entries()) {
      // The first check is a short message: if that gets no answer in a
      // few seconds, nothing will. A server that sits on unread bytes
      // fails as soon as that shows.
      const ms = i === 0 ? 5_000 : CHECK_TIMEOUT_MS;
      const watch = watchForStall(server);
      try {
        await Promise.race([
          withTimeout(check(server, exercise.chapter), ms, "an answer"),
          watch.stalled.then((stall) => {
            throw new Error(stall);
          }),
        ]);
      } catch (error) {
        throw new Error(`${name}: ${teach(server, error as Error, ms)}`);
      } finally {
        watch.stop();
      }
    }
  });
  passed &&= await run(
    "SIGTERM with clients connected: exit 0, nothing left",
    async () => {
      await using server = await launch();
      await assertCleanStop(server, "SIGTERM");
    },
  );
  return results;
}

/** The chapter's server tasks that run server.ts (so, in the exercise, the
 * reader's file): each is a variant the exercise covers. */
export function variants(chapter: Chapter): string[] {
  const tasks = committedTasks(chapter);
  return Object.keys(tasks).filter((task) =>
    /^server(:[\w-]+)?$/.test(task) &&
    tasks[task].split(/\s+/).includes("server.ts")
  ).sort();
}

/** The chapter's `model` (its model.ts). */
export async function loadModel(chapter: Chapter): Promise<Model> {
  const file = join(chapter.dir, "model.ts");
  const module = await import(pathToFileURL(file).href);
  if (!module.model) throw new Error(`${file} exports no \`model\``);
  return module.model;
}

/** The chapter's tasks as committed (`git show HEAD:.../deno.json`): the
 * grader's permissions are not the reader's to edit. Outside a git
 * checkout, the tasks as they are. */
function committedTasks(chapter: Chapter): Record<string, string> {
  const path = relative(ROOT, join(chapter.dir, "deno.json"));
  const { code, stdout } = new Deno.Command("git", {
    args: ["show", `HEAD:${path}`],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  if (code !== 0) return chapter.tasks;
  return JSON.parse(new TextDecoder().decode(stdout)).tasks;
}

/** What the reader changed in the chapter's server tasks, as a message;
 * null when nothing. */
function changedTasks(chapter: Chapter): string | null {
  const committed = committedTasks(chapter);
  for (
    const task of new Set([
      ...Object.keys(committed),
      ...Object.keys(chapter.tasks),
    ])
  ) {
    if (!task.startsWith("server") || committed[task] === chapter.tasks[task]) {
      continue;
    }
    return `the task "${task}" in ${
      relative(ROOT, join(chapter.dir, "deno.json"))
    } ` +
      `was changed (committed: ${committed[task] ?? "none"}; now: ` +
      `${chapter.tasks[task] ?? "none"}). The grader runs your server with ` +
      `the permissions the chapter gives its own server.ts, and those are ` +
      `part of the lesson: put the task back (git checkout -- deno.json)`;
  }
  return null;
}

/** Starts `file` with the chapter's `task` as committed: its permission
 * flags, its working directory, `server.ts` swapped for `file`. */
export function launcher(
  exercise: Exercise,
  file: string,
  task = "server",
): Launch {
  const chapter = {
    ...exercise.chapter,
    tasks: committedTasks(exercise.chapter),
  };
  const script = relative(chapter.dir, file);
  return async (args = []) => {
    const command = taskCommand(chapter, task, ["--port", "0", ...args])
      .map((arg) => arg === "server.ts" ? script : arg);
    try {
      return await startProcess(`${script}`, command, chapter.dir, {
        readyTimeoutMs: 20_000,
        env: { NO_COLOR: "1" },
      });
    } catch (error) {
      throw new Error(
        explainStart(exercise, withoutStack((error as Error).message)),
      );
    }
  };
}

/** A failed start, told in the reader's terms. */
function explainStart(exercise: Exercise, message: string): string {
  if (/Requires net access/.test(message)) {
    return `your server asked Deno for the network (Deno.listen?), which ` +
      `chapter ${exercise.number}'s task does not allow: this chapter's ` +
      `server makes its own socket calls (shared/socket.ts).\n${message}`;
  }
  if (/Requires ffi access/.test(message)) {
    return `your server calls libc through FFI, which chapter ` +
      `${exercise.number}'s task does not allow: this chapter's server uses ` +
      `Deno.listen and lets Deno's event loop do the waiting.\n${message}`;
  }
  if (/no ready line/.test(message)) {
    return `your server never printed "listening on HOST:PORT" (the given ` +
      `setup does, unless your code stops it from running)`;
  }
  return `your server did not start: ${message}`;
}

/** A conformance failure, with what it usually means. */
function teach(server: RunningServer, error: Error, ms: number): string {
  const state = processState(server.pid);
  const stderr = withoutStack(server.stderr());
  if (state === null || state === "Z") {
    return `your server exited before it answered. Does your loop keep it ` +
      `running until a stop signal?` +
      (stderr ? `\nIt wrote to stderr:\n${stderr}` : "");
  }
  if (/timed out after \d+ ms waiting for an answer/.test(error.message)) {
    return `no answer within ${ms / 1000} s: the client sent bytes, and ` +
      `your server neither echoed them nor closed the connection`;
  }
  return error.message + (stderr ? `\nyour server's stderr:\n${stderr}` : "");
}

/** `text` without stack traces: an uncaught error's `    at ...` lines, and
 * the runtime's own `Stack backtrace:` with its numbered frames. The first
 * line says what went wrong, in the reader's own code. */
function withoutStack(text: string): string {
  return text.split("\n")
    .filter((line) => !/^\s+at |^Stack backtrace:$|^\s+\d+: /.test(line))
    .join("\n").trim();
}
