/**
 * The servers a run measures: every `server*` task of every chapter, found
 * the way the conformance suite finds them, plus two references written the
 * usual way outside this project: Node.js's `net` (libuv's epoll loop) and a
 * C epoll server compiled here with gcc.
 *
 * @module
 */
import { join } from "node:path";
import {
  discoverChapters,
  serverTasks,
  taskCommand,
} from "@echo-lab/harness/chapters";
import {
  type RunningServer,
  startProcess,
  startServer,
} from "@echo-lab/harness/process";
import { firstLine } from "@echo-lab/harness/machine";
import { compileC } from "./gcc.ts";

/** A server the bench can start as many times as it needs. */
export interface BenchServer {
  id: string;
  label: string;
  chapter: string | null;
  task: string;
  /** The command line, as a reader would type it. */
  command: string[];
  start(): Promise<RunningServer>;
}

/** The reference servers by name. */
export const REFERENCES = ["node", "c"] as const;
export type Reference = typeof REFERENCES[number];

const REFERENCE_DIR = join(import.meta.dirname!, "reference");

/** The chapter servers whose folder name starts with one of `chapters` (all
 * when empty), then the `references` that this machine can run. What cannot
 * run is explained in `notes`. `tempDir` receives the compiled C server. */
export async function findServers(
  chapters: string[],
  references: Reference[],
  tempDir: string,
  notes: string[],
): Promise<BenchServer[]> {
  const servers: BenchServer[] = [];
  for (const chapter of discoverChapters()) {
    if (chapters.length && !chapters.some((c) => chapter.name.startsWith(c))) {
      continue;
    }
    for (const task of serverTasks(chapter)) {
      const [, ...args] = taskCommand(chapter, task, ["--port", "0"]);
      servers.push({
        id: `${chapter.name} ${task}`,
        label: chapter.name + task.slice("server".length),
        chapter: chapter.name,
        task,
        command: ["deno", ...args],
        start: () => startServer(chapter, task),
      });
    }
  }
  if (references.includes("node")) {
    const node = await nodeReference();
    if (typeof node === "string") notes.push(node);
    else servers.push(node);
  }
  if (references.includes("c")) {
    const c = await cReference(tempDir);
    if (typeof c === "string") notes.push(c);
    else servers.push(c);
  }
  return servers;
}

async function nodeReference(): Promise<BenchServer | string> {
  const version = await firstLine("node", ["--version"]);
  if (!version) return "Node.js reference not run: `node` is not installed.";
  const command = ["node", "node_echo.mjs", "--port", "0"];
  return {
    id: "reference node",
    label: "Node.js net",
    chapter: null,
    task: "node",
    command,
    start: () => startProcess("node_echo.mjs", command, REFERENCE_DIR),
  };
}

async function cReference(tempDir: string): Promise<BenchServer | string> {
  const binary = join(tempDir, "epoll_echo");
  const why = await compileC(join(REFERENCE_DIR, "epoll_echo.c"), binary);
  if (why) return `C reference not run: ${why}.`;
  return {
    id: "reference c",
    label: "C epoll",
    chapter: null,
    task: "c",
    command: ["./epoll_echo", "--port", "0"], // built by gcc -O2 epoll_echo.c
    start: () =>
      startProcess("epoll_echo", [binary, "--port", "0"], REFERENCE_DIR),
  };
}
