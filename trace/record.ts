/**
 * Recording a chapter under strace: start its server traced, run the
 * scenario, stop it, and keep what the kernel saw.
 *
 * @module
 */
import { type Chapter } from "@echo-lab/harness/chapters";
import { descendants, killTree, startServer } from "@echo-lab/harness/process";
import { sleep, withTimeout } from "@echo-lab/harness/net";
import { type Call, type Delivery, parseStrace } from "./strace.ts";
import { type Mark, now, runScenario } from "./scenario.ts";
import { TRACED_CALLS } from "./calls.ts";

/** A thread seen during the run: its process (tgid) and name. */
export interface ThreadInfo {
  pid: number;
  comm: string;
}

/** Everything one traced run produced. */
export interface Recording {
  chapter: string;
  task: string;
  /** The server's main process. */
  serverPid: number;
  started: number;
  ended: number;
  calls: Call[];
  signals: Delivery[];
  marks: Mark[];
  threads: Map<number, ThreadInfo>;
}

/** Runs `task` of `chapter` under `strace -f` through the scenario; with
 * `script`, that file of the chapter's folder in place of its server.ts
 * (`deno task trace NN --mine` traces my_server.ts). */
export async function record(
  chapter: Chapter,
  task = "server",
  script?: string,
): Promise<Recording> {
  const output = await Deno.makeTempFile({ prefix: "echo-lab-strace-" });
  try {
    const server = await startServer(chapter, task, [], {
      script,
      wrapper: [
        "strace",
        "-f", // follow threads and child processes
        "-ttt", // wall-clock time of each call, in µs
        "-T", // time spent inside each call
        "-qq",
        "-e",
        `trace=${TRACED_CALLS.join(",")}`,
        "-o",
        output,
      ],
      readyTimeoutMs: 60_000,
    });
    const threads = new Map<number, ThreadInfo>();
    let serverPid = 0, marks: Mark[] = [];
    let sampling: ReturnType<typeof setInterval> | undefined;
    const started = now();
    try {
      // strace is the process we started; the server is its child.
      serverPid = descendants(server.pid)[0];
      sampling = setInterval(() => sampleThreads(serverPid, threads), 50);
      sampleThreads(serverPid, threads);
      marks = await runScenario(server.port);
      await sleep(200);
    } finally {
      clearInterval(sampling);
      // strace blocks fatal signals while it runs a program (-o FILE PROG):
      // signal the server itself, and if anything went wrong, kill the lot.
      if (serverPid) Deno.kill(serverPid, "SIGTERM");
      await withTimeout(server.status, 5_000, "the traced server to exit")
        .catch(() => {
          killTree(server.pid);
          return server.status;
        });
    }
    const ended = now();
    const { calls, signals } = parseStrace(await Deno.readTextFile(output));
    return {
      chapter: chapter.name,
      task,
      serverPid,
      started,
      ended,
      calls: calls.filter((call) => call.start <= ended),
      signals,
      marks,
      threads,
    };
  } finally {
    await Deno.remove(output);
  }
}

/** Notes the name and process of every thread of `pid` and its
 * descendants. Threads that come and go between samples stay unnamed. */
function sampleThreads(pid: number, threads: Map<number, ThreadInfo>) {
  for (const process of [pid, ...descendants(pid)]) {
    try {
      for (const task of Deno.readDirSync(`/proc/${process}/task`)) {
        const tid = Number(task.name);
        if (threads.has(tid)) continue;
        const comm = Deno.readTextFileSync(`/proc/${process}/task/${tid}/comm`);
        threads.set(tid, { pid: process, comm: comm.trim() });
      }
    } catch { /* it exited while we looked */ }
  }
}
