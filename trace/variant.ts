/**
 * Any server task of a chapter (`deno task trace` records only `server`)
 * through the tracer's scenario (record.ts: strace -f on every thread while
 * clients connect, echo and leave), checked against the chapter's trace
 * promise like `server` is by trace_test.ts, and its annotated excerpt
 * printed after a line naming the machine, the command and the verdict:
 *
 *     deno run -A trace/variant.ts 09-io-uring server:sqpoll \
 *       > chapters/09-io-uring/lab/sqpoll_trace.txt
 *
 * @module
 */
import { chapterNamed } from "@echo-lab/harness/chapters";
import { loadFacts } from "@echo-lab/harness/facts";
import { describeMachine, machineLine } from "@echo-lab/harness/machine";
import { record } from "./record.ts";
import { summarize } from "./analyze.ts";
import { excerpt } from "./excerpt.ts";
import { violations } from "./expectations.ts";

const [name, task] = Deno.args;
if (!name || !task) {
  console.error("usage: deno run -A trace/variant.ts CHAPTER TASK");
  Deno.exit(2);
}
const chapter = chapterNamed(name);
const recording = await record(chapter, task);
const promise = (await loadFacts(chapter)).trace;
const broken = violations(promise, summarize(recording));
console.log(
  `# ${machineLine(await describeMachine(), new Date().toISOString())}, ` +
    `load: ${Deno.loadavg().map((n) => n.toFixed(2)).join(" ")}`,
);
console.log(`# command: deno run -A trace/variant.ts ${name} ${task}`);
console.log(
  `# the chapter's promise, "${promise.claim}": ` +
    (broken.length ? `broken: ${broken.join("; ")}` : "kept"),
);
console.log(excerpt(recording, `${name} ${task}`));
