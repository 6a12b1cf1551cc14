/**
 * The copy-paste suite: every `sh` block of every README (and of the site's
 * pages) is run exactly as written, from the folder its Markdown file is in,
 * the way a reader pastes it into a terminal.
 *
 * - A block runs under `bash` with `set -eo pipefail`, stdin from
 *   /dev/null, in a session of its own, and must exit 0 within its
 *   `timeout=SECONDS` (default 60). When it ends, nothing it started may
 *   still be running: a block stops what it starts.
 * - A `text output` block right after it is what it prints: every line must
 *   appear, in order, with numbers free (`97` matches `100`), `...` or `…`
 *   any text. The figures it shows come from a committed run it names with
 *   `from=FILE` (tests/text_output_test.ts checks them; tests/record_block.ts
 *   records one).
 * - A `sh leave-running` block is a server the reader leaves running in a
 *   terminal of its own: it is started, the next blocks run once it prints
 *   `listening on` (or a URL), and it gets Ctrl-C (SIGINT to its process
 *   group, as a terminal sends it) before the next `leave-running` block or
 *   at the end of the file, and must then exit 0.
 * - A `sh not-run="why"` block is listed with its reason, not run.
 *
 * The last test prints how many blocks ran and which were not run, and why.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { markdownFiles, readText, ROOT } from "@echo-lab/docs/files";
import { type Fence, fences } from "@echo-lab/docs/fences";

/** A shell block and what the Markdown says it prints. */
interface ShellBlock {
  fence: Fence;
  output?: Fence;
}

const notRun: string[] = [];
let ran = 0;

for (const source of markdownFiles()) {
  const blocks = shellBlocks(readText(source)!);
  if (blocks.length === 0) continue;
  Deno.test(`copy-paste: ${source}`, async (t) => {
    const cwd = join(ROOT, dirname(source));
    // The server a reader would have running in another terminal.
    const terminal: { server?: Background } = {};
    try {
      for (const { fence, output } of blocks) {
        const name = `${source}:${fence.line}: ${firstLine(fence.body)}`;
        const reason = fence.attrs["not-run"];
        if (typeof reason === "string") {
          notRun.push(`${source}:${fence.line}: ${reason}`);
          continue;
        }
        ran++;
        if (fence.attrs["leave-running"]) {
          await terminal.server?.stop();
          delete terminal.server;
          await t.step(`${name} (left running)`, async () => {
            terminal.server = await Background.start(fence.body, cwd);
          });
          continue;
        }
        await t.step(name, async () => {
          const printed = await runBlock(fence, cwd);
          if (output) expectPrinted(printed, output.body);
        });
      }
    } finally {
      await terminal.server?.stop();
    }
  });
}

Deno.test("copy-paste: every shell block is run or says why not", () => {
  console.log(
    `copy-paste: ${ran} shell blocks run, ${notRun.length} not run${
      notRun.length ? ":" : ""
    }\n${notRun.map((line) => `  ${line}`).join("\n")}`,
  );
  assert(ran > 0, "no shell block was run");
});

/** The `sh` blocks of `markdown`, each with the `text output` block that
 * follows it with nothing but blank lines between. */
function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split("\n");
  const all = fences(markdown);
  return all.flatMap((fence, i) => {
    if (fence.lang !== "sh" && fence.lang !== "bash") return [];
    const next = all[i + 1];
    const adjacent = next?.lang === "text" && next.attrs.output === true &&
      lines.slice(fence.end + 1, next.line - 1).every((l) => l.trim() === "");
    return [{ fence, output: adjacent ? next : undefined }];
  });
}

/** Runs a block to its end; returns what it printed (stdout and stderr
 * together, as a terminal shows them). */
async function runBlock(fence: Fence, cwd: string): Promise<string> {
  const seconds = Number(fence.attrs.timeout ?? 60);
  const child = spawnSession(`exec 2>&1\nset -eo pipefail\n${fence.body}`, cwd);
  const timer = setTimeout(
    () => killGroup(child.pid, "SIGKILL"),
    seconds * 1000,
  );
  const [status, printed] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
  ]).finally(() => clearTimeout(timer));
  const left = await waitForGroup(child.pid, 3000);
  killGroup(child.pid, "SIGKILL");
  assert.equal(
    status.code,
    0,
    `exit ${status.code}${status.signal ? ` (${status.signal})` : ""}${
      status.signal === "SIGKILL" ? `: still running after ${seconds} s` : ""
    }; it printed:\n${printed}`,
  );
  assert.deepEqual(left, [], "the block left these processes running");
  return printed;
}

/** Every line of `expected` appears in `printed`, in order; digits match
 * any number, `...` any text. */
function expectPrinted(printed: string, expected: string): void {
  const lines = printed.split("\n").map((l) => l.trim());
  let at = 0;
  for (const want of expected.split("\n").map((l) => l.trim())) {
    if (want === "") continue;
    const pattern = new RegExp(`^${looseRegExp(want)}$`);
    while (at < lines.length && !pattern.test(lines[at])) at++;
    assert(
      at < lines.length,
      `expected a line like "${want}" (numbers free), in order; it printed:\n${printed}`,
    );
    at++;
  }
}

function looseRegExp(line: string): string {
  return line.split(/(\d[\d,.]*|\.\.\.|…)/).map((part, i) =>
    i % 2 === 0
      ? part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      : /\d/.test(part)
      ? "[\\d,.]+"
      : ".*"
  ).join("");
}

/** A server left running in its own terminal, as a reader does. */
class Background {
  private constructor(
    private child: Deno.ChildProcess,
    private printed: Promise<string>,
  ) {}

  static async start(body: string, cwd: string): Promise<Background> {
    const child = spawnSession(`exec 2>&1\n${body}`, cwd);
    const lines = child.stdout.pipeThrough(new TextDecoderStream());
    const reader = lines.getReader();
    let seen = "";
    const ready = (async () => {
      while (!/listening on |https?:\/\/\S+/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`it ended before it was ready:\n${seen}`);
        seen += value;
      }
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        ready,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`not ready within 30 s:\n${seen}`)),
            30_000,
          );
        }),
      ]);
    } catch (error) {
      killGroup(child.pid, "SIGKILL");
      await child.status;
      await ready.catch(() => {}); // reads to the end of the pipe
      throw error;
    } finally {
      clearTimeout(timer);
    }
    const rest = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return seen;
        seen += value;
      }
    })();
    return new Background(child, rest);
  }

  /** Ctrl-C: SIGINT to the whole process group; it must exit 0. */
  async stop(): Promise<void> {
    killGroup(this.child.pid, "SIGINT");
    const timer = setTimeout(() => killGroup(this.child.pid, "SIGKILL"), 5000);
    const status = await this.child.status.finally(() => clearTimeout(timer));
    const printed = await this.printed;
    const left = await waitForGroup(this.child.pid, 3000);
    killGroup(this.child.pid, "SIGKILL");
    assert.equal(
      status.code,
      0,
      `after Ctrl-C it exited ${status.code}${
        status.signal ? ` (${status.signal})` : ""
      }; it printed:\n${printed}`,
    );
    assert.deepEqual(left, [], "after Ctrl-C these processes were left");
  }
}

/** `bash -c script` as the leader of a new session and process group, so
 * the block and everything it starts can be signalled together. */
function spawnSession(script: string, cwd: string): Deno.ChildProcess {
  return new Deno.Command("setsid", {
    args: ["bash", "-c", script],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    env: {
      PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH")}`,
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
    },
  }).spawn();
}

function killGroup(pgid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pgid, signal);
  } catch { /* the group is gone */ }
}

/** Waits up to `ms` for the process group to empty; returns the command
 * lines still in it. */
async function waitForGroup(pgid: number, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = groupMembers(pgid);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function groupMembers(pgid: number): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      // Fields after the command name: state, ppid, pgrp, ...
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid || fields[0] === "Z") continue;
      const cmd = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      found.push(`${entry.name}: ${cmd.replaceAll("\0", " ").trim()}`);
    } catch { /* it exited while we looked */ }
  }
  return found;
}

function firstLine(body: string): string {
  const line = body.split("\n").find((l) => l.trim() !== "") ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
