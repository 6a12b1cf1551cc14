/**
 * Every fix-it's bug is real and its fix is enough: the buggy copy, built
 * from the chapter's files and the marked change exactly as shipped, fails
 * its symptom check; the chapter's own files (the fixed version), copied
 * the same way, pass it and the echo contract. Two fix-its run at a time.
 */
import assert from "node:assert/strict";
import { discoverFixits, type Fixit, sourceOf, writeFixit } from "./fixits.ts";
import { grade } from "./grade.ts";

const fixits = discoverFixits();

Deno.test("at least 8 fix-its, across the readiness, signal and completion chapters", () => {
  assert.ok(fixits.length >= 8, `${fixits.length} fix-its`);
  const chapters = new Set(fixits.map((fixit) => fixit.chapter.name));
  for (const prefix of ["06", "08", "09"]) {
    assert.ok(
      [...chapters].some((name) => name.startsWith(prefix)),
      `no fix-it in chapter ${prefix}`,
    );
  }
  for (const fixit of fixits) {
    assert.equal(fixit.hints.length, 3, `${fixit.name}: three hints`);
    assert.ok(fixit.cite.length > 0, `${fixit.name}: a citation`);
    assert.ok(fixit.files.includes(fixit.change.file), fixit.name);
  }
});

Deno.test("a change that no longer applies is an error, not a silent no-op", () => {
  const [first] = fixits;
  const stale: Fixit = {
    ...first,
    change: { ...first.change, find: "no such line anywhere" },
  };
  assert.throws(
    () => sourceOf(stale, stale.change.file, stale.dir, true),
    /does not apply/,
  );
});

Deno.test("every shipped bug fails its check; the fixed version passes it and the echo contract", async () => {
  const failures: string[] = [];
  const queue = [...fixits];
  const worker = async () => {
    for (let fixit; (fixit = queue.shift());) {
      for (const buggy of [true, false]) {
        const dir = await Deno.makeTempDir({
          dir: fixit.dir,
          prefix: buggy ? ".test-buggy-" : ".test-fixed-",
        });
        try {
          writeFixit(fixit, { dir, buggy });
          const steps = await grade(fixit, dir);
          const [symptom] = steps;
          if (buggy && symptom.ok) {
            failures.push(`${fixit.name}: the buggy copy passes its check`);
          }
          if (!buggy && !steps.every((step) => step.ok)) {
            const failed = steps.find((step) => !step.ok)!;
            failures.push(
              `${fixit.name}: the fixed version fails "${failed.name}": ` +
                failed.message,
            );
          }
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      }
    }
  };
  await Promise.all([worker(), worker()]);
  assert.deepEqual(failures, []);
});
