/**
 * The site in a real browser: Debian's headless Chromium, driven by
 * playwright-core (never a downloaded browser). Opens the home page and a
 * chapter, follows next and previous, searches, copies a listing, checks
 * the site from file:// too, and saves screenshots (desktop and phone, light
 * and dark; one of each kind of page with its figures) under
 * tests/screenshots/ (git-ignored).
 *
 * On a 390 px phone, every figure of every page (diagrams, bench charts,
 * trace timelines, tables) must fit its box or sit in a box that shows it
 * scrolls, with its text drawn at 9 px or more (a bench chart's at 11): an
 * SVG's font size times the scale it is drawn at. A timeline opens full
 * screen and closes with Esc or Back; the phone forms hold in dark mode and
 * print, and a desktop still gets the wide ones.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { ROOT } from "@echo-lab/harness/chapters";
import { buildSite } from "./build.ts";
import { serveSite } from "./serve.ts";
import { fiveModelFigure } from "@echo-lab/docs/diagrams";
import { figureChapters } from "@echo-lab/docs/figure_files";

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

      await t.step("every figure is readable at 390 px", async () => {
        const phone = await browser.newContext({
          viewport: PHONE,
          isMobile: true,
        });
        const paths = report.pages.map((p) => p.path)
          .filter((path) => path.endsWith(".html"));
        const tabs = await Promise.all([1, 2, 3].map(() => phone.newPage()));
        const failures: string[] = [];
        // The smallest text of each SVG file drawn as an image, in its own
        // units: a chart is an <img>, whose text the page cannot reach.
        const smallest = new Map<string, Promise<number>>();
        const svgFont = (url: string) => {
          if (!smallest.has(url)) {
            smallest.set(
              url,
              (async () => {
                const tab = await phone.newPage();
                await tab.goto(url);
                const size = await tab.evaluate<number>(SMALLEST_TEXT);
                await tab.close();
                return size;
              })(),
            );
          }
          return smallest.get(url)!;
        };
        await Promise.all(tabs.map(async (tab, i) => {
          for (let j = i; j < paths.length; j += tabs.length) {
            await tab.goto(new URL(paths[j], base).href);
            await tab.evaluate(OPEN_ALL);
            const found = await tab.evaluate<FigureCheck>(
              figureCheck(MIN_TEXT_PX),
            );
            failures.push(...found.problems.map((p) => `${paths[j]}: ${p}`));
            for (const image of found.images) {
              const px = (await svgFont(image.src)) * image.scale;
              const min = image.chart ? MIN_CHART_PX : MIN_TEXT_PX;
              if (px < min) {
                failures.push(
                  `${paths[j]}: ${image.name}: text at ${
                    px.toFixed(1)
                  } px (under ${min} px)`,
                );
              }
            }
          }
        }));
        for (const [kind, path] of pageKinds(report.pages, middle)) {
          await tabs[0].goto(new URL(path, base).href);
          await tabs[0].evaluate(OPEN_ALL);
          await shoot(tabs[0], `figures-phone-${kind}`);
        }
        await phone.close();
        assert.deepEqual(failures.sort(), [], "figures unreadable at 390 px");
      });

      await t.step("a timeline opens full screen, and closes", async () => {
        const phone = await browser.newContext({
          viewport: PHONE,
          isMobile: true,
          hasTouch: true,
        });
        const tab = await phone.newPage();
        const compare = new URL("compare.html", base).href;
        await tab.goto(compare);
        await tab.evaluate(OPEN_ALL);
        const link = tab.locator("figure.wide-chart a.open-full").first();
        if (await link.count() === 0) return; // no trace results yet
        const viewer = tab.locator("dialog.viewer");
        await link.tap();
        await viewer.waitFor();
        await tab.waitForFunction(
          "document.querySelector('dialog.viewer img').naturalWidth > 0",
        );
        const size = () =>
          tab.evaluate<[number, number]>(`(() => {
            const img = document.querySelector("dialog.viewer img");
            return [img.getBoundingClientRect().width, img.naturalWidth];
          })()`);
        const [shown, natural] = await size();
        assert.equal(shown, natural, "opens at the size it was drawn for");
        await shoot(tab, "timeline-viewer-phone", false);
        await tab.keyboard.press("+");
        assert.ok((await size())[0] > natural, "+ zooms in");
        await tab.keyboard.press("0");
        assert.ok((await size())[0] <= PHONE.width, "0 fits the screen");
        await tab.keyboard.press("Escape");
        await viewer.waitFor({ state: "hidden" });
        assert.equal(
          tab.url(),
          compare,
          "Esc leaves the reader where they were",
        );
        // From the keyboard too: the figure is a link.
        await link.focus();
        await tab.keyboard.press("Enter");
        await viewer.waitFor();
        await tab.goBack();
        await viewer.waitFor({ state: "hidden" });
        assert.equal(tab.url(), compare, "Back closes the view, not the page");
        await phone.close();
      });

      await t.step(
        "the phone forms in dark mode and print; the desktop's unchanged",
        async () => {
          const kinds = pageKinds(report.pages, middle);
          for (const scheme of ["dark", "light"] as const) {
            const phone = await browser.newContext({
              viewport: PHONE,
              colorScheme: scheme,
            });
            const tab = await phone.newPage();
            for (const [kind, path] of kinds) {
              await tab.goto(new URL(path, base).href);
              await tab.evaluate(OPEN_ALL);
              const forms = await tab.evaluate<string[]>(phoneForms(scheme));
              assert.deepEqual(forms, [], `${path}, ${scheme}`);
              if (scheme === "dark") {
                await shoot(tab, `figures-phone-${kind}-dark`);
              }
            }
            if (scheme === "light") {
              await tab.emulateMedia({ media: "print" });
              for (const [kind, path] of kinds) {
                await tab.goto(new URL(path, base).href);
                await tab.evaluate(OPEN_ALL);
                const forms = await tab.evaluate<string[]>(phoneForms("print"));
                assert.deepEqual(forms, [], `${path}, print`);
                if (kind === "chapter") {
                  await tab.pdf({
                    path: join(SCREENSHOTS, "site-figures-phone-print.pdf"),
                    width: `${PHONE.width}px`,
                  });
                }
              }
            }
            await phone.close();
          }
          // On a desktop, the wide figures exactly as the generator draws
          // them (the same markup and files as before the phone forms).
          const desktop = await browser.newContext({
            viewport: { width: 1280, height: 900 },
          });
          const tab = await desktop.newPage();
          const home = report.pages.find((p) => p.path === "index.html")!;
          assert.ok(
            home.html.includes(
              fiveModelFigure("five-models", await figureChapters()),
            ),
            "the home page's five-model figure is the generator's wide one",
          );
          for (const [, path] of kinds) {
            await tab.goto(new URL(path, base).href);
            await tab.evaluate(OPEN_ALL);
            const wide = await tab.evaluate<string[]>(DESKTOP_FORMS);
            assert.deepEqual(wide, [], `${path} at 1280 px`);
          }
          await desktop.close();
        },
      );

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

/** One page of each kind: home, a chapter, the closing page, compare, a
 * source file. */
function pageKinds(
  pages: { path: string }[],
  chapter: string,
): [string, string][] {
  const paths = pages.map((p) => p.path);
  return [
    ["home", "index.html"],
    ["chapter", chapter],
    ["closing", paths.find((p) => p === "choosing-a-model.html")],
    ["compare", "compare.html"],
    ["source", paths.find((p) => p.startsWith("src/"))],
  ].filter((kind): kind is [string, string] => kind[1] !== undefined);
}

async function shoot(page: Page, name: string, fullPage = true) {
  await page.screenshot({
    path: join(SCREENSHOTS, `site-${name}.png`),
    fullPage,
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

/** Runs in the page: loads every image now (not when scrolled to), opens
 * the collapsed sections (a reader opens them), and waits two frames, in
 * which the page's script marks the boxes that overflow. */
const OPEN_ALL = `(async () => {
  for (const img of document.querySelectorAll("main img")) {
    img.loading = "eager";
    await img.decode().catch(() => {});
  }
  for (const details of document.querySelectorAll("main details")) {
    details.open = true;
  }
  for (let i = 0; i < 2; i++) await new Promise(requestAnimationFrame);
})()`;

/** Text in a figure at 390 px: at least this many CSS pixels. */
const MIN_TEXT_PX = 9;
/** A bench chart's labels: at least this many (the figure). */
const MIN_CHART_PX = 11;

/** What `figureCheck` found on a page. */
interface FigureCheck {
  problems: string[];
  /** The SVG images shown, each with the scale it is drawn at. */
  images: { name: string; src: string; scale: number; chart: boolean }[];
}

/** Runs in an SVG document: the smallest font size of its text, in its own
 * units. */
const SMALLEST_TEXT = `(() => {
  let min = Infinity;
  for (const t of document.querySelectorAll("text, tspan")) {
    if (!t.textContent.trim() || t.getClientRects().length === 0) continue;
    min = Math.min(min, parseFloat(getComputedStyle(t).fontSize));
  }
  return min;
})()`;

/** Runs in the page: every figure of the main column (diagrams, charts,
 * timelines, tables) must fit its box or sit in a box that says it scrolls,
 * and an inline SVG's text must render at \`min\` CSS pixels or more (its
 * font size times the scale it is drawn at). Images are listed with their
 * scale, for the caller to measure. Run `OPEN_ALL` first. */
function figureCheck(min: number): string {
  return `(() => {
    const min = ${min};
    const problems = [], images = [];
    const shown = (el) => el.getClientRects().length > 0 &&
      getComputedStyle(el).visibility !== "hidden";
    const nameOf = (fig, i) => {
      const label = fig.querySelector("figcaption code, caption")?.textContent ||
        fig.querySelector("svg[id]")?.id || fig.getAttribute("aria-label") ||
        fig.className;
      return "figure " + (i + 1) + " (" + label.trim().slice(0, 60) + ")";
    };
    const hinted = (box) => {
      const before = getComputedStyle(box, "::before");
      return before.content !== "none" && before.content !== "normal" &&
        before.display !== "none";
    };
    const figures = [...document.querySelectorAll(
      "main figure:not(.code), main .table-wrap",
    )].filter(shown);
    for (const [i, fig] of figures.entries()) {
      const name = nameOf(fig, i);
      const box = fig.getBoundingClientRect();
      if (box.right > innerWidth + 0.5 || box.left < -0.5) {
        problems.push(name + ": sticks out of the page");
      }
      const boxes = [fig, ...fig.querySelectorAll("*")].filter((el) =>
        shown(el) && getComputedStyle(el).overflowX !== "visible"
      );
      for (const el of boxes) {
        if (el.scrollWidth > el.clientWidth + 1 && !hinted(el)) {
          problems.push(name + ": scrolls sideways (" + el.scrollWidth +
            " px in " + el.clientWidth + ") with no sign that it does");
        }
      }
      for (const svg of fig.querySelectorAll("svg")) {
        if (!shown(svg)) continue;
        let small = Infinity;
        for (const t of svg.querySelectorAll("text")) {
          if (!t.textContent.trim() || !shown(t)) continue;
          const m = t.getScreenCTM();
          const px = parseFloat(getComputedStyle(t).fontSize) *
            Math.hypot(m.a, m.b);
          small = Math.min(small, px);
        }
        if (small < min) {
          problems.push(name + ": text at " + small.toFixed(1) +
            " px (under " + min + " px)");
        }
      }
      for (const img of fig.querySelectorAll("img")) {
        if (!shown(img) || !img.currentSrc.endsWith(".svg")) continue;
        images.push({
          name,
          src: img.currentSrc,
          scale: img.getBoundingClientRect().width / img.naturalWidth,
          chart: img.currentSrc.includes("/bench/results/"),
        });
      }
    }
    return { problems, images };
  })()`;
}

/** Runs in the page at 390 px: the narrow forms are the ones shown (a
 * diagram's narrow layout, a chart's narrow file), their text contrasts with
 * its background (`dark`, `light`), and in print no scroll hint or
 * full-screen control shows. Evaluates to what is wrong. */
function phoneForms(mode: "dark" | "light" | "print"): string {
  return `(() => {
    const wrong = [];
    const shown = (el) => el.getClientRects().length > 0;
    for (const fig of document.querySelectorAll("figure.has-narrow")) {
      const wide = fig.querySelector(".diagram-scroll svg");
      const narrow = fig.querySelector(".diagram-narrow svg");
      if (shown(wide) || !shown(narrow)) {
        wrong.push(narrow.id + ": the wide layout shows");
      }
      const lum = (color) => {
        const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map((v) => {
          const c = Number(v) / 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const text = lum(getComputedStyle(narrow.querySelector(".d-lane")).fill);
      const back = lum(getComputedStyle(fig).backgroundColor);
      const ratio = (Math.max(text, back) + 0.05) /
        (Math.min(text, back) + 0.05);
      if (ratio < 4.5) {
        wrong.push(narrow.id + ": titles at contrast " + ratio.toFixed(1));
      }
    }
    for (const img of document.querySelectorAll("figure.chart picture img")) {
      if (!img.currentSrc.includes("/narrow/")) {
        wrong.push(img.currentSrc + ": not the narrow form");
      }
    }
    if (${JSON.stringify(mode)} === "print") {
      for (const box of document.querySelectorAll(".overflows")) {
        if (getComputedStyle(box, "::before").content !== "none") {
          wrong.push(box.getAttribute("aria-label") + ": scroll hint printed");
        }
      }
      for (const el of document.querySelectorAll(".open-note, dialog")) {
        if (shown(el)) wrong.push("full-screen control printed");
      }
    }
    return wrong;
  })()`;
}

/** Runs in the page at 1280 px: the wide forms show, the narrow ones do
 * not. Evaluates to what is wrong. */
const DESKTOP_FORMS = `(() => {
  const wrong = [];
  const shown = (el) => el.getClientRects().length > 0;
  for (const fig of document.querySelectorAll("figure.diagram-figure")) {
    if (!shown(fig.querySelector(".diagram-scroll svg"))) {
      wrong.push(fig.querySelector("svg").id + ": wide layout hidden");
    }
    const narrow = fig.querySelector(".diagram-narrow");
    if (narrow && shown(narrow)) wrong.push(narrow.firstChild.id + ": shown");
  }
  for (const img of document.querySelectorAll("figure.chart img")) {
    if (img.currentSrc && img.currentSrc !== img.src) {
      wrong.push(img.currentSrc + ": not the wide chart " + img.src);
    }
  }
  return wrong;
})()`;
