import assert from "node:assert/strict";
import { getNoFileLimit, raiseNoFileLimit } from "./rlimit.ts";

Deno.test("raiseNoFileLimit lifts the soft limit to the hard limit", () => {
  const before = getNoFileLimit();
  assert.ok(before.soft <= before.hard);
  assert.equal(raiseNoFileLimit(), before.hard);
  assert.deepEqual(getNoFileLimit(), { soft: before.hard, hard: before.hard });
});

Deno.test("under prlimit the new limit is the ceiling it sets", async () => {
  const script = `import { raiseNoFileLimit } from ${
    JSON.stringify(new URL("./rlimit.ts", import.meta.url).href)
  }; console.log(raiseNoFileLimit());`;
  const { code, stdout } = await new Deno.Command("prlimit", {
    args: ["--nofile=64:100", Deno.execPath(), "eval", script],
  }).output();
  assert.equal(code, 0);
  assert.equal(new TextDecoder().decode(stdout).trim(), "100");
});
