import assert from "node:assert/strict";
import { fences } from "./fences.ts";

Deno.test("fences: language, attributes, body and position", () => {
  const md = [
    "# Title",
    "",
    '```sh leave-running not-run="needs perf, 30 s" timeout=5',
    "deno task server",
    "```",
    "",
    "````",
    "```nested```",
    "````",
  ].join("\n");
  const [sh, plain] = fences(md);
  assert.equal(sh.line, 3);
  assert.equal(sh.lang, "sh");
  assert.deepEqual(sh.attrs, {
    "leave-running": true,
    "not-run": "needs perf, 30 s",
    timeout: "5",
  });
  assert.equal(sh.body, "deno task server");
  assert.deepEqual([sh.start, sh.end], [3, 4]);
  assert.equal(plain.lang, "");
  assert.equal(plain.body, "```nested```");
});

Deno.test("fences: an unclosed fence runs to the end of the file", () => {
  const [open] = fences("```ts\nlet x;\n");
  assert.equal(open.body, "let x;\n");
});
