/**
 * Checking a server file against an exercise: the echo contract every
 * chapter passes (tests/conformance.ts), then the chapter's model (see
 * models.ts). The file runs under the chapter's own `server` task, so it gets
 * exactly the permissions the chapter's server.ts gets.
 *
 * @module
 */
import { relative } from "node:path";
import { taskCommand } from "@echo-lab/harness/chapters";
import { assertCleanStop, echoChecks } from "../tests/conformance.ts";
import {
  processState,
  type RunningServer,
  startProcess,
} from "@echo-lab/harness/process";
import { withTimeout } from "@echo-lab/harness/net";
import type { Exercise } from "./exercise.ts";
import { MODELS } from "./models.ts";

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
 * that fails (the later ones would only fail for the same reason). */
export async function checkFile(
  exercise: Exercise,
  file: string,
  onResult: (result: CheckResult) => void = () => {},
): Promise<CheckResult[]> {
  const launch = launcher(exercise, file);
  const results: CheckResult[] = [];
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
  const model = MODELS[exercise.chapter.name];
  let server: RunningServer | undefined;
  let passed: boolean;
  try {
    passed =
      await run("the server starts and says where it listens", async () => {
        server = await launch();
      }) &&
      await run("echo contract", async () => {
        for (const [i, [name, check]] of Object.entries(echoChecks).entries()) {
          // The first check is a short message: if that gets no answer in a
          // few seconds, nothing will.
          const ms = i === 0 ? 5_000 : CHECK_TIMEOUT_MS;
          try {
            await withTimeout(
              check(server!, exercise.chapter),
              ms,
              "an answer",
            );
          } catch (error) {
            throw new Error(`${name}: ${teach(server!, error as Error, ms)}`);
          }
        }
      });
  } finally {
    await server?.[Symbol.asyncDispose]();
  }
  passed &&= await run(
    "SIGTERM with clients connected: exit 0, nothing left",
    async () => {
      await using server = await launch();
      await assertCleanStop(server, "SIGTERM");
    },
  );
  if (passed) {
    await run(model ? `the model: ${model.promise}` : "the model", () => {
      if (!model) {
        throw new Error(
          `chapter ${exercise.chapter.name} has no model check in exercises/models.ts`,
        );
      }
      return model.check(launch);
    });
  }
  return results;
}

/** Starts `file` with the chapter's `server` task: its permission flags,
 * its working directory, `server.ts` swapped for `file`. */
export function launcher(exercise: Exercise, file: string): Launch {
  const { chapter } = exercise;
  const script = relative(chapter.dir, file);
  return async (args = []) => {
    const command = taskCommand(chapter, "server", ["--port", "0", ...args])
      .map((arg) => arg === "server.ts" ? script : arg);
    try {
      return await startProcess(`${script}`, command, chapter.dir, {
        readyTimeoutMs: 20_000,
      });
    } catch (error) {
      throw new Error(explainStart(exercise, (error as Error).message));
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
  const stderr = server.stderr().trim();
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
