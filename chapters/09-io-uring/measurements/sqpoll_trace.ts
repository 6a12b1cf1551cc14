/**
 * `server:sqpoll` through the tracer's scenario (trace/record.ts: strace -f
 * on every thread while clients connect, echo and leave), checked against
 * the chapter's trace promise (chapter.ts) like `server` is by
 * trace/trace_test.ts, and its annotated excerpt printed. The SQ polling
 * thread is a kernel thread inside our process: strace cannot trace it, so
 * what shows is our own thread, which makes no call to submit and sleeps
 * in io_uring_enter only to wait. Run from chapters/09-io-uring:
 *
 *     deno run -A measurements/sqpoll_trace.ts > measurements/sqpoll_trace.txt
 */
import { chapterNamed } from "@echo-lab/harness/chapters";
import { loadFacts } from "@echo-lab/harness/facts";
import { describeMachine, machineLine } from "@echo-lab/harness/machine";
import { record } from "../../../trace/record.ts";
import { summarize } from "../../../trace/analyze.ts";
import { excerpt } from "../../../trace/excerpt.ts";
import { violations } from "../../../trace/expectations.ts";

const chapter = chapterNamed("09-io-uring");
const recording = await record(chapter, "server:sqpoll");
const promise = (await loadFacts(chapter)).trace;
const broken = violations(promise, summarize(recording));
console.log(
  `# ${machineLine(await describeMachine(), new Date().toISOString())}, ` +
    `load: ${Deno.loadavg().map((n) => n.toFixed(2)).join(" ")}`,
);
console.log("# command: deno run -A measurements/sqpoll_trace.ts");
console.log(
  `# the chapter's promise, "${promise.claim}": ` +
    (broken.length ? `broken: ${broken.join("; ")}` : "kept"),
);
console.log(excerpt(recording, "09-io-uring server:sqpoll"));
