/**
 * The site in a real browser: Debian's headless Chromium, driven by
 * playwright-core (never a downloaded browser). Opens the home page and a
 * chapter, follows next and previous, searches, copies a listing, checks
 * the site from file:// too, and saves screenshots (desktop and phone, light
 * and dark) under tests/screenshots/ (git-ignored).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { ROOT } from "@echo-lab/harness/chapters";
import { buildSite } from "./build.ts";
import { serveSite } from "./serve.ts";

const CHROMIUM = "/usr/bin/chromium";
/** An iPhone 12 to 15's viewport in CSS pixels. */
const PHONE = { width: 390, height: 844 };
const SCREENSHOTS = join(ROOT, "tests", "screenshots");
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "the site in Chromium",
  ignore: !hasChromium,
  // playwright keeps its pipe to the browser open between steps.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const outDir = await Deno.makeTempDir({ prefix: "echo-lab-site-" });
    const report = await buildSite(outDir);
    const pages = report.pages.filter((p) => p.path.startsWith("chapters/"));
    const chapters = pages.map((p) => p.path);
    // A written chapter (with listings) with a neighbour on each side.
    const middle = pages.slice(1, -1).find((p) => p.rendered?.listings.length)
      ?.path ?? chapters[Math.min(1, chapters.length - 1)];
    const { promise: listening, resolve } = Promise.withResolvers<string>();
    const server = serveSite(outDir, 0, resolve);
    const base = await listening;
    Deno.mkdirSync(SCREENSHOTS, { recursive: true });
    // playwright's launch adds --headless and a fresh --user-data-dir.
    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: FLAGS,
    });
    try {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
      });
      await context.grantPermissions(["clipboard-read", "clipboard-write"], {
        origin: new URL(base).origin,
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

      await t.step("home page", async () => {
        await page.goto(base);
        assert.match(
          await page.locator("h1").first().innerText(),
          /I\/O models/,
        );
        assert.ok(await page.locator("svg#five-models").isVisible());
        assert.equal(
          await page.locator("table.compare tbody tr").count(),
          chapters.length,
        );
        await shoot(page, "home-desktop");
      });

      await t.step(
        "keyboard: the first Tab reaches the skip link",
        async () => {
          await page.keyboard.press("Tab");
          assert.equal(
            await page.evaluate("document.activeElement?.textContent"),
            "Skip to content",
          );
        },
      );

      await t.step("chapter page, next and previous", async () => {
        await page.goto(new URL(middle, base).href);
        const title = await page.locator("h1").first().innerText();
        await shoot(page, "chapter-desktop");
        const next = page.locator(".pager a[rel=next]");
        const nextTitle = (await next.innerText()).replace(/^Next\s*/, "");
        await next.click();
        await page.waitForLoadState();
        assert.notEqual(page.url(), new URL(middle, base).href);
        if (!page.url().endsWith("compare.html")) {
          assert.equal(
            (await page.locator("h1").first().innerText()).trim(),
            nextTitle.trim(),
          );
        }
        await page.locator(".pager a[rel=prev]").click();
        await page.waitForLoadState();
        assert.equal(page.url(), new URL(middle, base).href);
        assert.equal(await page.locator("h1").first().innerText(), title);
      });

      await t.step(
        "copy button puts the listing on the clipboard",
        async () => {
          const block = page.locator("figure.code").first();
          const expected = await block.locator("pre").textContent();
          await block.locator("button.copy").click();
          // The click handler awaits the clipboard before it relabels the
          // button, so wait for the label (it reverts after 1.6 s) and for
          // the status line rather than reading them the instant after.
          await block.locator("button.copy", { hasText: "Copied" }).waitFor({
            timeout: 5_000,
          });
          await page.locator("#search-status", {
            hasText: "Code copied to the clipboard.",
          }).waitFor({ state: "attached", timeout: 5_000 });
          const copied = await page.evaluate("navigator.clipboard.readText()");
          assert.equal(copied, expected);
        },
      );

      await t.step("search finds a chapter section", async () => {
        await page.keyboard.press("/");
        await page.keyboard.type("epoll");
        const first = page.locator("#search-results a").first();
        await first.waitFor();
        assert.match(await first.innerText(), /\S/);
        await shoot(page, "search-desktop");
        await page.keyboard.press("ArrowDown");
        await page.keyboard.press("Enter");
        await page.waitForLoadState();
        assert.match(await page.locator("main").innerText(), /epoll/i);
      });

      await t.step("phone width, light and dark", async () => {
        for (const scheme of ["light", "dark"] as const) {
          const phone = await browser.newContext({
            viewport: PHONE,
            deviceScaleFactor: 2,
            isMobile: true,
            colorScheme: scheme,
          });
          const p = await phone.newPage();
          await p.goto(new URL(middle, base).href);
          await shoot(p, `chapter-phone-${scheme}`);
          await p.goto(base);
          await shoot(p, `home-phone-${scheme}`);
          await phone.close();
        }
        const dark = await browser.newContext({
          viewport: { width: 1280, height: 900 },
          colorScheme: "dark",
        });
        const p = await dark.newPage();
        await p.goto(new URL(middle, base).href);
        await shoot(p, "chapter-desktop-dark");
        await dark.close();
      });

      await t.step("every page fits a 390 px phone", async () => {
        const phone = await browser.newContext({
          viewport: PHONE,
          deviceScaleFactor: 2,
          isMobile: true,
        });
        const paths = report.pages.map((p) => p.path)
          .filter((path) => path.endsWith(".html"));
        // Four tabs at a time: the pages are independent, and one tab
        // would take a minute and a half on a loaded machine.
        const tabs = await Promise.all([1, 2, 3, 4].map(() => phone.newPage()));
        const wide: string[] = [];
        await Promise.all(tabs.map(async (tab, i) => {
          for (let j = i; j < paths.length; j += tabs.length) {
            await tab.goto(new URL(paths[j], base).href);
            const found = await tab.evaluate<string | null>(
              widestOverflow(PHONE.width),
            );
            if (found) wide.push(`${paths[j]}: ${found}`);
          }
        }));
        await phone.close();
        assert.deepEqual(wide.sort(), [], "pages wider than a phone");
      });

      await t.step("the site works from file:// too", async () => {
        const local = await context.newPage();
        await local.goto(`file://${join(outDir, "index.html")}`);
        const styled = await local.evaluate(
          "getComputedStyle(document.querySelector('header.top')).position",
        );
        assert.equal(styled, "sticky", "stylesheet loaded");
        await local.locator("#search-input").fill("blocking");
        await local.locator("#search-results a").first().waitFor();
        await local.locator(".chapter-list a").first().click();
        await local.waitForLoadState();
        assert.match(local.url(), /^file:.*chapters\/.*\.html$/);
        await local.close();
      });

      assert.deepEqual(errors, [], "no script errors");
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(outDir, { recursive: true });
    }
  },
});

async function shoot(page: Page, name: string) {
  await page.screenshot({
    path: join(SCREENSHOTS, `site-${name}.png`),
    fullPage: true,
  });
}

/** Runs in the page (a string: the tests are type-checked without the DOM
 * library). Evaluates to null when the document is no wider than `width`;
 * otherwise to the document's width and the widest element that sticks out
 * past `width` without being inside a box that scrolls or clips it. Measured
 * against `width`, not `innerWidth`: a mobile viewport widens to fit content
 * that overflows, so `innerWidth` grows with the fault. */
function widestOverflow(width: number): string {
  return `(() => {
    const width = ${width};
    const page = document.documentElement.scrollWidth;
    if (page <= width) return null;
    const contained = (el) => {
      for (let up = el.parentElement; up && up !== document.body;) {
        if (getComputedStyle(up).overflowX !== "visible") return true;
        up = up.parentElement;
      }
      return false;
    };
    let widest = null, widestWidth = 0;
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (box.right <= width + 0.5 || box.width <= widestWidth) continue;
      if (contained(el)) continue;
      widest = el;
      widestWidth = box.width;
    }
    if (!widest) return page + " px wide; no single element sticks out";
    const id = widest.id ? ' id="' + widest.id + '"' : "";
    const cls = widest.getAttribute("class");
    return page + " px wide; widest overflowing element: <" +
      widest.tagName.toLowerCase() + id + (cls ? ' class="' + cls + '"' : "") +
      "> " + Math.round(widestWidth) + " px wide";
  })()`;
}
