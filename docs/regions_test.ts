import assert from "node:assert/strict";
import { extractRegion, isRegionMarker, regionNames } from "./regions.ts";

const SOURCE = `import x from "y";

// #region outer
function outer() {
  // #region inner
  if (ready) {
    go();
  }
  // #endregion

  return 1;
}
// #endregion

class A {
  // #region method
  method() {
    return 2;
  }
  // #endregion
}
# #region shell
echo hi
# #endregion
`;

Deno.test("extractRegion", async (t) => {
  await t.step("a top-level region, with nested marker lines left out", () => {
    const region = extractRegion(SOURCE, "outer");
    assert.equal(
      region.text,
      "function outer() {\n  if (ready) {\n    go();\n  }\n\n  return 1;\n}",
    );
    assert.equal(region.startLine, 4);
    assert.equal(region.endLine, 12);
  });

  await t.step("a nested region, dedented", () => {
    assert.equal(
      extractRegion(SOURCE, "inner").text,
      "if (ready) {\n  go();\n}",
    );
  });

  await t.step("an indented region, dedented", () => {
    const region = extractRegion(SOURCE, "method");
    assert.equal(region.text, "method() {\n  return 2;\n}");
    assert.equal(region.startLine, 17);
  });

  await t.step("# comments mark regions too", () => {
    assert.equal(extractRegion(SOURCE, "shell").text, "echo hi");
  });

  await t.step("a missing region names the ones that exist", () => {
    assert.throws(
      () => extractRegion(SOURCE, "nope"),
      /no region "nope" \(regions here: outer, inner, method, shell\)/,
    );
  });

  await t.step("an unclosed region", () => {
    assert.throws(
      () => extractRegion("// #region a\nx\n", "a"),
      /region "a" has no matching #endregion/,
    );
  });

  await t.step("a region defined twice", () => {
    assert.throws(
      () =>
        extractRegion(
          "// #region a\n1\n// #endregion\n// #region a\n2\n// #endregion\n",
          "a",
        ),
      /defined twice/,
    );
  });

  await t.step("an empty region", () => {
    assert.throws(
      () => extractRegion("// #region a\n\n// #endregion\n", "a"),
      /empty/,
    );
  });
});

Deno.test("regionNames and isRegionMarker", () => {
  assert.deepEqual(regionNames(SOURCE), ["outer", "inner", "method", "shell"]);
  assert.ok(isRegionMarker("  // #region accept"));
  assert.ok(isRegionMarker("// #endregion"));
  assert.ok(!isRegionMarker("// the #region of memory"));
});
