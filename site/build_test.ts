/**
 * The site as a reader gets it: built from the checkout into a temporary
 * folder, then checked page by page. Every chapter has a page, every link
 * and anchor resolves, every listing is the current text of its region.
 */
import assert from "node:assert/strict";
import { join, posix } from "node:path";
import { discoverChapters } from "@echo-lab/harness/chapters";
import { buildSite } from "./build.ts";
import { readText } from "@echo-lab/docs/files";
import { textOf } from "./html.ts";
import { renderMarkdown } from "./markdown.ts";
import { extractRegion } from "@echo-lab/docs/regions";

/** Every file under `dir`, as paths relative to it. */
function walk(dir: string, prefix = ""): string[] {
  return [...Deno.readDirSync(join(dir, prefix))].flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory ? walk(dir, path) : [path];
  });
}

Deno.test("the site builds and every page holds together", async (t) => {
  const outDir = await Deno.makeTempDir({ prefix: "echo-lab-site-" });
  try {
    const report = await buildSite(outDir);
    const files = walk(outDir);
    const html = new Map(
      files.filter((f) => f.endsWith(".html")).map((
        f,
      ) => [f, Deno.readTextFileSync(join(outDir, f))]),
    );

    await t.step("home, compare and one page per chapter", () => {
      assert.ok(html.has("index.html"));
      assert.ok(html.has("compare.html"));
      for (const chapter of discoverChapters()) {
        const page = html.get(`chapters/${chapter.name}.html`);
        assert.ok(page, `no page for ${chapter.name}`);
        assert.match(page, /<h1 id="[^"]+">/);
      }
    });

    await t.step("every internal link and anchor resolves", () => {
      const problems: string[] = [];
      const ids = (page: string) =>
        new Set(
          [...html.get(page)!.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]),
        );
      for (const [page, text] of html) {
        for (const [, attr, url] of text.matchAll(/\s(href|src)="([^"]*)"/g)) {
          if (/^[a-z][\w+.-]*:/i.test(url)) continue; // external
          const [path, hash] = url.split("#");
          const target = path
            ? posix.normalize(posix.join(posix.dirname(page), path))
            : page;
          if (!files.includes(target)) {
            problems.push(`${page}: ${attr}="${url}": no ${target}`);
          } else if (
            hash && target.endsWith(".html") && !ids(target).has(hash)
          ) {
            problems.push(`${page}: ${attr}="${url}": no id "${hash}"`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });

    await t.step("every listing equals the current text of its region", () => {
      let checked = 0;
      for (const [page, text] of html) {
        const listings = text.matchAll(
          /<figure class="code listing" data-file="([^"]+)" data-region="([^"]*)">.*?<pre[^>]*>(.*?)<\/pre>/gs,
        );
        for (const [, file, region, pre] of listings) {
          const source = readText(file);
          assert.ok(source !== null, `${page}: listing of missing ${file}`);
          const expected = region
            ? extractRegion(source, region).text
            : source.replace(/\n$/, "");
          assert.equal(textOf(pre), expected, `${page}: ${file}:${region}`);
          checked++;
        }
      }
      const directives = report.pages.reduce(
        (n, p) => n + (p.rendered?.listings.length ?? 0),
        0,
      );
      assert.equal(checked, directives, "every directive became a listing");
    });

    await t.step("links in the READMEs point at files that exist", () => {
      // A link to a chapter not written yet is shown as plain text; once
      // every chapter is in, there must be none.
      assert.deepEqual(
        report.broken.map(({ source, href }) => `${source}: ${href}`),
        [],
      );
    });

    await t.step("figures have text alternatives", () => {
      for (const [page, text] of html) {
        for (const [img] of text.matchAll(/<img\b[^>]*>/g)) {
          assert.match(img, /\salt="[^"]+"/, `${page}: ${img}`);
        }
        for (const [svg] of text.matchAll(/<svg\b[^>]*>/g)) {
          assert.match(svg, /role="img" aria-labelledby=/, `${page}: ${svg}`);
        }
      }
      assert.match(
        html.get("index.html")!,
        /<svg class="diagram" id="five-models"/,
      );
    });

    await t.step(
      "the closing page follows the last chapter and is in the nav",
      () => {
        const closing = html.get("choosing-a-model.html");
        assert.ok(closing, "no choosing-a-model.html");
        assert.match(
          closing,
          /<h1 id="choosing-a-model">Choosing a model<\/h1>/,
        );
        const last = discoverChapters().at(-1)!.name;
        assert.match(
          html.get(`chapters/${last}.html`)!,
          /<a rel="next" href="\.\.\/choosing-a-model\.html">/,
          `${last}'s "next" is not the closing page`,
        );
        assert.match(
          closing,
          new RegExp(`<a rel="prev" href="chapters/${last}\\.html">`),
        );
        for (const [page, text] of html) {
          assert.match(
            text,
            /<nav class="side"[\s\S]*choosing-a-model\.html/,
            `${page}: not in the nav`,
          );
        }
      },
    );

    await t.step("search covers every chapter", () => {
      const index = Deno.readTextFileSync(join(outDir, "search-index.js"));
      for (const chapter of discoverChapters()) {
        assert.ok(
          index.includes(`chapters/${chapter.name}.html`),
          chapter.name,
        );
      }
    });
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("a listing of a missing region or file stops the build", () => {
  const ctx = {
    source: "chapters/07-async/README.md",
    page: "chapters/07-async.html",
    resolve: () => null,
  };
  assert.throws(
    () => renderMarkdown("```ts include=server.ts:no-such-region\n```\n", ctx),
    /chapters\/07-async\/README\.md: include=server\.ts:no-such-region: chapters\/07-async\/server\.ts: no region "no-such-region"/,
  );
  assert.throws(
    () => renderMarkdown("```\n{{#include gone.ts:accept}}\n```\n", ctx),
    /README\.md: include=gone\.ts:accept: no file chapters\/07-async\/gone\.ts/,
  );
});

Deno.test("a final 'Going deeper' section is rendered collapsed, to the next section or the end", () => {
  const ctx = {
    source: "chapters/07-async/README.md",
    page: "chapters/07-async.html",
    resolve: () => null,
  };
  const { html, headings } = renderMarkdown(
    "# T\n\n## Run it\n\ntext\n\n## Going deeper\n\ndepth\n\n### More\n\nmore\n",
    ctx,
  );
  assert.match(
    html,
    /<details class="deeper"><summary><h2 id="going-deeper">.*Going deeper<\/h2>.*<\/summary><div class="deeper-body">\s*<p>depth<\/p>\s*<h3 id="more">.*<p>more<\/p>\s*<\/div><\/details>\s*$/s,
  );
  assert.ok(headings.some((h) => h.id === "going-deeper"), "not in the toc");
  // Not the last section: it closes where the next one starts.
  const middle = renderMarkdown(
    "## Going deeper\n\ndepth\n\n## After\n\nafter\n",
    ctx,
  ).html;
  assert.match(middle, /<p>depth<\/p>\s*<\/div><\/details>\s*<h2 id="after">/);
  assert.equal(middle.match(/<\/details>/g)?.length, 1);
});

Deno.test("a README's copy of its figure is drawn inline by the page, once", () => {
  const ctx = {
    source: "chapters/01-blocking/README.md",
    page: "chapters/01-blocking.html",
    resolve: (path: string) => `files/${path}`,
    beforeFirstSection: "<figure>drawn</figure>",
    figureImage: "site/figures/read-01-blocking.svg",
  };
  const shown = renderMarkdown(
    "# T\n\n![one read](../../site/figures/read-01-blocking.svg)\n\nintro\n\n## Run it\n",
    ctx,
  );
  assert.equal(shown.html.match(/<figure>drawn<\/figure>/g)?.length, 1);
  assert.doesNotMatch(shown.html, /<img/);
  assert.ok(shown.placed.beforeFirstSection);
  // Without the image, the figure goes before the first section.
  const plain = renderMarkdown("# T\n\nintro\n\n## Run it\n", ctx).html;
  assert.match(plain, /<figure>drawn<\/figure>\s*<h2 id="run-it">/);
});
