import assert from "node:assert/strict";
import { escapeHtml } from "./escape.ts";

Deno.test("escapeHtml: every character HTML or SVG would read as markup", () => {
  assert.equal(
    escapeHtml(`<a href="x" title='y'>&</a>`),
    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
  );
  assert.equal(escapeHtml("plain text"), "plain text");
});
