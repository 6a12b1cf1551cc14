/**
 * The conformance suite: every server task of every chapter, started as a real
 * process on port 0, must pass the same echo contract (RFC 862, plus the
 * project's rules on half-close, resets and shutdown).
 *
 * A new chapter folder is tested by existing.
 */
import assert from "node:assert/strict";
import {
  type Chapter,
  discoverChapters,
  serverTasks,
  taskCommand,
} from "@echo-lab/harness/chapters";
import {
  descendants,
  isAlive,
  processState,
  startServer,
} from "@echo-lab/harness/process";
import { sleep, withTimeout } from "@echo-lab/harness/net";
import { assertCleanStop, echoChecks } from "@echo-lab/harness/conformance";

for (const chapter of discoverChapters()) {
  Deno.test(`${chapter.name}: a port in use is one stderr line naming it and the cure, exit 1`, async () => {
    // Every chapter defaults to 7007: the second one started meets this.
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = taken.addr.port;
    const [command, ...args] = taskCommand(chapter, "server", [
      "--port",
      String(port),
    ]);
    const { code, stdout, stderr } = await new Deno.Command(command, {
      args,
      cwd: chapter.dir,
      stdin: "null",
      env: { DENO_NO_UPDATE_CHECK: "1" },
    }).output();
    assert.equal(new TextDecoder().decode(stdout), "");
    assert.equal(
      new TextDecoder().decode(stderr),
      `error: port ${port} is in use (another chapter's server?): ` +
        "stop it, or pass --port N\n",
    );
    assert.equal(code, 1);
  });

  for (const task of serverTasks(chapter)) {
    Deno.test(`${chapter.name} ${task}: echo contract`, async (t) => {
      await using server = await startServer(chapter, task);
      for (const [name, check] of Object.entries(echoChecks)) {
        await t.step(name, () => check(server, chapter));
      }
    });

    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      Deno.test(`${chapter.name} ${task}: ${signal} with clients connected exits 0 and leaves nothing`, async () => {
        await using server = await startServer(chapter, task);
        await assertCleanStop(server, signal);
      });
    }

    Deno.test(`${chapter.name} ${task}: Ctrl-C at a terminal (SIGINT or SIGTERM to the process group, once or twice) exits 0 quietly`, async () => {
      // The four cases run at once, each on its own server, to keep the
      // suite's time bounded.
      const cases = (["SIGINT", "SIGTERM"] as const).flatMap((signal) =>
        [1, 2].map((times) => ({ signal, times }))
      );
      const problems = await Promise.all(
        cases.map(async ({ signal, times }) => {
          // `deno task`'s own race (see stopFromTerminal) can end a case
          // with the task runner killed, which says nothing about the
          // server: run that case again, a few times at most.
          for (let attempt = 1;; attempt++) {
            const { problem, raced } = await stopFromTerminal(
              chapter,
              task,
              signal,
              times,
            );
            if (!raced || attempt === 3) return problem;
            console.log(
              `${chapter.name} ${task}: ${signal} x${times}: deno task was ` +
                "killed by the signal after its child exited; again",
            );
          }
        }),
      );
      const failed = cases.flatMap(({ signal, times }, i) =>
        problems[i] ? [`${signal} x${times}: ${problems[i]}`] : []
      );
      assert.deepEqual(failed, []);
    });
  }
}

/** Starts `deno task TASK --port 0` in the chapter's folder the way a shell
 * starts a foreground job, in a process group of its own (`detached` makes
 * it the leader of a new session and group), then does what Ctrl-C does:
 * sends `signal` to every process in that group, `times` times back to back.
 * `deno task` forwards each signal to the server too, so the server gets it
 * two to four times, some of them while it is already shutting down. Returns
 * what went wrong, or null, and whether `deno task` itself was killed by a
 * signal: that happens only in its own race after the server has exited
 * (below), and hides how the server exited. */
async function stopFromTerminal(
  chapter: Chapter,
  task: string,
  signal: Deno.Signal,
  times: number,
): Promise<{ problem: string | null; raced: boolean }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", task, "--port", "0"],
    cwd: chapter.dir,
    detached: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).spawn();
  const group = child.pid;
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  const ready = (async () => {
    while (!/^listening on /m.test(output)) {
      const { done, value } = await stdout.read();
      if (done) return false;
      output += value;
    }
    return true;
  })();
  const drained = ready.then(async () => {
    while (!(await stdout.read()).done) { /* the server's stdout, unread */ }
  });
  const killGroup = () => {
    try {
      Deno.kill(-group, "SIGKILL");
    } catch { /* the group is gone */ }
  };
  try {
    if (!await withTimeout(ready, 30_000, "ready line")) {
      return {
        problem: `exited before its ready line; stderr: ${await stderr}`,
        raced: false,
      };
    }
    // The first signal goes at once: the ready line promises that a stop
    // signal is handled from then on. (A /proc scan first would hide a server
    // that announces before its signal listeners are in place.)
    const server = childrenOf(group)[0];
    Deno.kill(-group, signal);
    for (let i = 1; i < times; i++) {
      // A second signal tests a shutdown under way only while the server
      // runs. A loaded machine can deschedule this process between two kill
      // calls for longer than a whole shutdown; the signal would then find
      // only `deno task`, which has a race of its own there: when its child
      // exits it drops its signal listeners, restoring the default action,
      // a moment before it exits itself (run_future_forwarding_signals in
      // Deno's cli/task_runner.rs), and a signal there ends `deno task` with
      // exit 130 or 143. Not a server's to fix: say so, and skip it.
      if (!running(server)) {
        console.log(
          `${chapter.name} ${task}: signal ${i + 1} not sent: ` +
            "the server had already exited",
        );
        break;
      }
      Deno.kill(-group, signal);
    }
    const family = descendants(group);
    const status = await withTimeout(child.status, 10_000, "exit");
    await sleep(100);
    const left = [...family, ...groupMembers(group)].filter(isAlive);
    // `deno task` names the command it runs on stderr; nothing else may be
    // there.
    const errors = (await stderr).replace(/^Task \S+ .*\n/, "");
    const problems = [
      status.code === 0 && status.signal === null
        ? ""
        : `exit code ${status.code}, signal ${status.signal}`,
      errors === "" ? "" : `stderr: ${errors}`,
      left.length === 0 ? "" : `processes left: ${left.join(" ")}`,
    ].filter(Boolean);
    return {
      problem: problems.length ? problems.join("; ") : null,
      // A server that dies of the signal makes `deno task` exit with a code
      // (130, 143); `deno task` itself has a signal only when the signal
      // found it with its listeners gone, after its child had exited.
      raced: status.signal !== null && errors === "" && left.length === 0,
    };
  } catch (error) {
    killGroup();
    await child.status;
    return {
      problem: `${(error as Error).message}; stderr: ${await stderr}`,
      raced: false,
    };
  } finally {
    await drained;
  }
}

/** The children of `pid`, from /proc (its main thread's `children`). */
function childrenOf(pid: number): number[] {
  const list = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`);
  return list.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Whether `pid` exists and is not a zombie. */
function running(pid: number): boolean {
  const state = processState(pid);
  return state !== null && state !== "Z";
}

/** The live processes whose process group is `pgid` (field 5 of
 * /proc/PID/stat). */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const { name } of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid) members.push(Number(name));
    } catch { /* it exited while we looked */ }
  }
  return members;
}
