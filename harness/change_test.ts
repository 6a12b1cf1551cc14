import assert from "node:assert/strict";
import { applyChanges } from "./change.ts";

Deno.test("each change is made once, in turn", () => {
  assert.equal(
    applyChanges("a b c", [
      { find: "b", replace: "x y" },
      { find: "y", replace: "z" },
    ], "t"),
    "a x z c",
  );
});

Deno.test("a find that is missing or there twice is an error, naming what", () => {
  assert.throws(
    () => applyChanges("a b", [{ find: "c", replace: "d" }], "fixture f"),
    /^Error: fixture f: a change does not apply once.*"c".*not there\)/,
  );
  assert.throws(
    () => applyChanges("a a", [{ find: "a", replace: "b" }], "fixture f"),
    /there more than once/,
  );
});
