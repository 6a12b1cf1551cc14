/**
 * Grading a fix-it: its symptom check, then the echo contract every chapter
 * passes (harness/conformance.ts), so that deleting the feature the bug lives
 * in is not a fix.
 *
 * @module
 */
import { relative } from "node:path";
import { ROOT, taskCommand } from "@echo-lab/harness/chapters";
import { type RunningServer, startProcess } from "@echo-lab/harness/process";
import { withTimeout } from "@echo-lab/harness/net";
import { echoChecks } from "@echo-lab/harness/conformance";
import { CHECKS } from "./checks.ts";
import type { Fixit } from "./fixits.ts";

/** One step's outcome; `message` says what went wrong. */
export interface Step {
  name: string;
  ok: boolean;
  message?: string;
}

/** The chapter's `server` task's command line for the fix-it's entry file,
 * run from the folder that holds it, plus `extra` arguments. */
function command(fixit: Fixit, extra: string[]): string[] {
  return taskCommand(fixit.chapter, "server", [...(fixit.args ?? []), ...extra])
    .map((arg) =>
      arg === "server.ts"
        ? fixit.files[0]
        // A read permission names the chapter's paths: the copies sit deeper.
        : arg.startsWith("--allow-read=")
        ? "--allow-read"
        : arg
    );
}

/** How to start the learner's copy by hand, from the repository root, as
 * the check starts it (under a lower open-file limit, say). */
export function launchCommand(fixit: Fixit): string {
  const [, ...args] = command(fixit, []);
  const wrapper = CHECKS[fixit.check]?.wrapper ?? [];
  return `cd ${relative(ROOT, fixit.dir)} && ` +
    [...wrapper, "deno", ...args].join(" ");
}

/** Starts the fix-it's entry file in `dir` (default: its own folder) with
 * the chapter's `server` task's permissions, on port 0. */
export function launch(
  fixit: Fixit,
  dir = fixit.dir,
  wrapper: string[] = [],
): Promise<RunningServer> {
  const line = [...wrapper, ...command(fixit, ["--port", "0"])];
  return startProcess(`fixit ${fixit.name}`, line, dir, {
    readyTimeoutMs: 30_000,
  });
}

/** The symptom check, then (once it passes) the echo contract; stops at the
 * first failure. `dir` holds the files to grade. */
export async function grade(
  fixit: Fixit,
  dir = fixit.dir,
  onStep: (step: Step) => void = () => {},
): Promise<Step[]> {
  const steps: Step[] = [];
  const run = async (name: string, body: () => Promise<void>) => {
    let step: Step;
    try {
      await body();
      step = { name, ok: true };
    } catch (error) {
      const first = error instanceof SuppressedError ? error.error : error;
      step = { name, ok: false, message: (first as Error).message };
    }
    steps.push(step);
    onStep(step);
    return step.ok;
  };
  const check = CHECKS[fixit.check];
  if (!check) throw new Error(`${fixit.name}: no check "${fixit.check}"`);
  const symptom = await run(`the symptom: ${check.promise}`, async () => {
    await using server = await launch(fixit, dir, check.wrapper);
    await withTimeout(check.run(server), 60_000, "the check");
  });
  if (symptom) {
    await run("the echo contract (harness/conformance.ts)", async () => {
      await using server = await launch(fixit, dir);
      for (const [name, echo] of Object.entries(echoChecks)) {
        await withTimeout(echo(server, fixit.chapter), 20_000, name).catch(
          (error) => {
            throw new Error(`${name}: ${(error as Error).message}`);
          },
        );
      }
    });
  }
  return steps;
}
