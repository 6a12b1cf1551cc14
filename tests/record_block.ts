/**
 * Runs one `sh` block of a Markdown file, as tests/copy_paste_test.ts does
 * (from the file's folder, under bash with `set -eo pipefail`), and writes
 * what it printed to a file beside it, headed by when, where and under what
 * load it ran: the committed run a `text output` block names with `from=`
 * (see tests/text_output_test.ts).
 *
 *     deno run -A tests/record_block.ts chapters/02-threaded/README.md:274 \
 *       lab/twenty_clients.txt [--runs 3]
 *
 * LINE is the line of the block's opening fence; OUT is relative to the
 * Markdown file's folder, and is replaced only when every run exits 0.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { readText, ROOT } from "@echo-lab/docs/files";
import { fences } from "@echo-lab/docs/fences";

const USAGE =
  "usage: deno run -A tests/record_block.ts FILE.md:LINE OUT [--runs N]";

if (import.meta.main) {
  const [where, out, flag, value] = Deno.args;
  const [source, line] = (where ?? "").split(":");
  const runs = flag === "--runs" ? Number(value) : 1;
  if (!source || !line || !out || !(runs >= 1)) fail(USAGE);
  const fence = fences(readText(source) ?? fail(`${source}: no such file`))
    .find((f) => f.line === Number(line) && f.lang === "sh");
  if (!fence) fail(`${source}:${line}: no sh block opens there`);
  const cwd = join(ROOT, dirname(source));
  const records: string[] = [];
  for (let run = 1; run <= runs; run++) {
    const head =
      `# ${source}, the block at line ${line}, run ${run} of ${runs}: ${
        new Date().toISOString().slice(0, 19)
      }Z, ${machine()}, load average ${loadAverage()}`;
    const result = await new Deno.Command("bash", {
      args: ["-c", `exec 2>&1\nset -eo pipefail\n${fence.body}`],
      cwd,
      stdin: "null",
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    }).output();
    const printed = new TextDecoder().decode(result.stdout);
    if (!result.success) fail(`run ${run} exited ${result.code}:\n${printed}`);
    const command = fence.body.split("\n").map((l, i) =>
      `${i === 0 ? "$" : " "} ${l}`
    ).join("\n");
    records.push(`${head}\n${command}\n${printed}(exit 0)\n`);
  }
  Deno.writeTextFileSync(join(cwd, out), records.join("\n"));
  console.log(`wrote ${join(dirname(source), out)}`);
}

function machine(): string {
  const cpu = Deno.readTextFileSync("/proc/cpuinfo").match(
    /model name\s*:\s*(.*)/,
  )?.[1] ?? "unknown CPU";
  return `${cpu}, ${navigator.hardwareConcurrency} cores, Linux ${Deno.osRelease()}, Deno ${Deno.version.deno}`;
}

function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(
    " ",
  );
}

function fail(why: string): never {
  console.error(`record_block: ${why}`);
  Deno.exit(1);
}
