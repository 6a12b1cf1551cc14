/**
 * Markdown to HTML for the site's pages. A listing, a fenced block that
 * names its source,
 *
 *     ```ts include=server.ts:accept
 *     ...
 *     ```
 *
 * is rendered from the region `accept` of `server.ts` (relative to the
 * markdown file, or a workspace module by the name chapters import it with,
 * such as `@echo-lab/shared/socket`), highlighted, with its file name, a
 * link to the full file and a copy button. A missing file or region throws,
 * naming the markdown file, the file and the region. The block's own text
 * is the same lines, kept fresh by `deno task readmes` so the README reads
 * on GitHub too (see `listings.ts`). A block with no language whose only
 * line is `{{#NAME ARG}}` is a directive the page that renders the markdown
 * fills in.
 *
 * Relative links and images are resolved against the markdown file's folder
 * and mapped to site pages by the caller.
 *
 * A chapter's final `## Going deeper` section (Deno internals, errno details,
 * methodology: the depth after the lesson) is rendered collapsed, as a
 * `<details class="deeper">` whose summary is the heading; it runs to the
 * next `#` or `##` heading or the end of the page.
 *
 * @module
 */
import { posix } from "node:path";
import { Marked, Renderer } from "marked";
import { highlight } from "./highlight.ts";
import { escapeHtml } from "@echo-lab/docs/escape";
import { fences } from "@echo-lab/docs/fences";
import { includeOf, regionText } from "@echo-lab/docs/listings";
import { relativeUrl, slugify, textOf } from "./html.ts";

/** A heading of the rendered page. */
export interface Heading {
  depth: number;
  /** Plain text. */
  text: string;
  id: string;
}

/** Where a markdown file is rendered and how its links map to pages. */
export interface RenderContext {
  /** Repository path of the markdown file, e.g. `chapters/07-async/README.md`. */
  source: string;
  /** Site path of the page, e.g. `chapters/07-async.html`. */
  page: string;
  /** The site path for a repository path (a page, or a copied file), or
   * null when the repository has nothing there. */
  resolve(repoPath: string, as: "link" | "image"): string | null;
  /** `{{#NAME ARG}}` directives other than include. */
  directives?: Record<string, (arg: string) => string>;
  /** HTML to place right after the page's title (its first `#` heading). */
  afterTitle?: string;
  /** HTML to place right before the first section (the first `##`
   * heading), i.e. after the introduction, or where the markdown shows the
   * image `figureImage`. */
  beforeFirstSection?: string;
  /** Repository path of an image that is a committed copy of
   * `beforeFirstSection`'s figure (`site/figures/read-01-blocking.svg`):
   * where the markdown shows it, the page draws the figure itself. */
  figureImage?: string;
}

/** The rendered page body and what was found while rendering it. */
export interface Rendered {
  html: string;
  headings: Heading[];
  /** Every listing as [repository path, region or ""]. */
  listings: [string, string][];
  /** Relative links whose target does not exist (rendered as plain text). */
  broken: string[];
  /** Whether `afterTitle` and `beforeFirstSection` found their heading. */
  placed: { afterTitle: boolean; beforeFirstSection: boolean };
}

const DIRECTIVE = /^\{\{#([\w-]+)(?:\s+([^}]*))?\}\}$/;

/** The heading of the section a page shows collapsed. */
const DEEPER = /^going deeper$/i;

/** Renders `markdown` (without front matter). */
export function renderMarkdown(markdown: string, ctx: RenderContext): Rendered {
  const headings: Heading[] = [];
  const listings: [string, string][] = [];
  const broken: string[] = [];
  const ids = new Set<string>();
  const dir = posix.dirname(ctx.source);
  const placed = { afterTitle: false, beforeFirstSection: false };
  // Whether a collapsed "Going deeper" section is open and must be closed.
  let deeper = false;

  const marked = new Marked({ gfm: true });
  marked.use({
    // A directive alone on a line, outside any fence, works the same as one
    // in a fence with no language.
    extensions: [{
      name: "directive",
      level: "block",
      start: (src: string) => src.match(/^\{\{#/m)?.index,
      tokenizer(src: string) {
        const match = src.match(/^(\{\{#[^}\n]*\}\})[ \t]*(?:\n+|$)/);
        const directive = match?.[1].match(DIRECTIVE);
        if (!match || !directive) return undefined;
        return {
          type: "directive",
          raw: match[0],
          name: directive[1],
          arg: directive[2] ?? "",
        };
      },
      renderer: (token) => expand(token.name, token.arg),
    }],
    renderer: {
      heading({ tokens, depth }) {
        const inner = this.parser.parseInline(tokens);
        const text = textOf(inner).trim();
        let id = slugify(text) || "section", n = 1;
        while (ids.has(id)) id = `${slugify(text)}-${n++}`;
        ids.add(id);
        headings.push({ depth, text, id });
        const anchor = depth === 1
          ? ""
          : `<a class="anchor" href="#${id}" aria-hidden="true" tabindex="-1">#</a>`;
        let heading = `<h${depth} id="${id}">${anchor}${inner}</h${depth}>`;
        // A section ends where the next one of its rank or higher starts.
        const close = deeper && depth <= 2 ? "</div></details>\n" : "";
        if (close) deeper = false;
        if (depth === 2 && DEEPER.test(text)) {
          deeper = true;
          heading =
            `<details class="deeper"><summary>${heading}<span class="deeper-note">The depth behind the lesson, for a second reading. Open it.</span></summary><div class="deeper-body">`;
        }
        if (depth === 1 && ctx.afterTitle && !placed.afterTitle) {
          placed.afterTitle = true;
          return `${close}${heading}${ctx.afterTitle}\n`;
        }
        if (
          depth === 2 && ctx.beforeFirstSection && !placed.beforeFirstSection
        ) {
          placed.beforeFirstSection = true;
          return `${close}${ctx.beforeFirstSection}\n${heading}\n`;
        }
        return `${close}${heading}\n`;
      },
      code({ text, lang = "" }) {
        const [fence] = fences(`\`\`\`${lang}\n${text}\n\`\`\`\n`);
        const include = includeOf(fence);
        if (include !== null) return listing(include);
        const directive = !lang && text.trim().match(DIRECTIVE);
        if (directive) return expand(directive[1], directive[2] ?? "");
        return codeBlock(
          fence.lang || "text",
          highlight(text, fence.lang || "text"),
          undefined,
          "",
          fenceNote(fence.attrs),
        );
      },
      link({ href, title, tokens }) {
        const inner = this.parser.parseInline(tokens);
        const target = mapHref(href, "link");
        if (target === null) {
          broken.push(href);
          return `<span class="broken-link" title="not written yet: ${
            escapeHtml(href)
          }">${inner}</span>`;
        }
        const external = /^[a-z][\w+.-]*:/i.test(target);
        const attrs = external ? ' rel="noopener" class="external"' : "";
        const t = title ? ` title="${escapeHtml(title)}"` : "";
        return `<a href="${escapeHtml(target)}"${t}${attrs}>${inner}</a>`;
      },
      paragraph(token) {
        // The committed copy of the page's figure, alone in its paragraph:
        // the page draws the figure itself there.
        const [only] = token.tokens;
        if (
          token.tokens.length === 1 && only.type === "image" &&
          ctx.figureImage && ctx.beforeFirstSection &&
          !placed.beforeFirstSection &&
          repoPathOf(only.href) === ctx.figureImage
        ) {
          placed.beforeFirstSection = true;
          return `${ctx.beforeFirstSection}\n`;
        }
        return Renderer.prototype.paragraph.call(this, token);
      },
      table(token) {
        // A table as wide as its columns need scrolls inside its own box,
        // never the page: on a 390 px phone a five-column table of
        // measurements is wider than the screen.
        return `<div class="table-wrap" tabindex="0" role="region" aria-label="Table">${
          Renderer.prototype.table.call(this, token)
        }</div>\n`;
      },
      image({ href, title, text }) {
        const target = mapHref(href, "image");
        if (target === null) {
          broken.push(href);
          return `<span class="broken-link">[image: ${
            escapeHtml(text)
          }]</span>`;
        }
        const t = title ? ` title="${escapeHtml(title)}"` : "";
        return `<img src="${escapeHtml(target)}" alt="${
          escapeHtml(text)
        }"${t} loading="lazy">`;
      },
    },
  });

  /** A href as the page should have it; null when it points at nothing. */
  function mapHref(href: string, as: "link" | "image"): string | null {
    // Absolute URLs, anchors, and links to the site's own pages stay as
    // they are.
    if (/^[a-z][\w+.-]*:|^#|\.html(#|$)/i.test(href)) return href;
    const hash = href.split("#")[1];
    const repoPath = repoPathOf(href);
    if (repoPath.startsWith("..")) return null;
    const target = ctx.resolve(repoPath, as);
    if (target === null) return null;
    const url = relativeUrl(ctx.page, target);
    return hash === undefined ? url : `${url}#${hash}`;
  }

  /** The repository path a relative href points at. */
  function repoPathOf(href: string): string {
    const path = href.split("#")[0];
    return posix.normalize(posix.join(dir, decodeURI(path))).replace(/\/$/, "");
  }

  function expand(name: string, arg: string): string {
    const fill = ctx.directives?.[name];
    if (!fill) throw new Error(`${ctx.source}: unknown directive {{#${name}}}`);
    return fill(arg.trim());
  }

  function listing(include: string): string {
    const [, region = ""] = include.split(":");
    const { text, lang, path, startLine } = regionText(
      include,
      dir,
      `${ctx.source}: include=${include}`,
    );
    listings.push([path, region]);
    const page = ctx.resolve(path, "link");
    const name = posix.basename(path);
    const link = page
      ? `<a href="${relativeUrl(ctx.page, `${page}#L${startLine}`)}" title="${
        escapeHtml(path)
      }, line ${startLine}: the full file">${escapeHtml(name)}</a>`
      : escapeHtml(name);
    return codeBlock(
      lang,
      highlight(text, lang),
      `${link}${
        region ? ` <span class="region">${escapeHtml(region)}</span>` : ""
      }`,
      `data-file="${escapeHtml(path)}" data-region="${escapeHtml(region)}"`,
    );
  }

  const html = marked.parse(markdown, { async: false }) +
    (deeper ? "</div></details>\n" : "");
  return { html, headings, listings, broken, placed };
}

/** What a reader should know about a shell block before pasting it: that
 * it keeps running, or that the copy-paste test leaves it out and why; and
 * of an output block, which committed run it shows (`from=`). */
function fenceNote(attrs: Record<string, string | true>): string {
  if (attrs["leave-running"]) {
    return "Leave this running in its own terminal; Ctrl-C stops it.";
  }
  if (typeof attrs["not-run"] === "string") {
    return `Not run by the tests: ${attrs["not-run"]}.`;
  }
  if (typeof attrs.from === "string" && attrs.output) {
    return `What it printed in our run, ${attrs.from} (yours will differ where numbers vary).`;
  }
  if (attrs.output) return "What it prints (numbers vary).";
  return "";
}

/** A code block with a header bar (file name or language), a copy button
 * and, if given, a note under the bar. */
export function codeBlock(
  lang: string,
  pre: string,
  label = escapeHtml(lang),
  attrs = "",
  note = "",
): string {
  const kind = attrs ? "code listing" : "code";
  const aside = note ? `<p class="code-note">${escapeHtml(note)}</p>` : "";
  return `<figure class="${kind}" ${attrs}><figcaption class="code-head"><span class="code-name">${label}</span><button type="button" class="copy" aria-label="Copy code to clipboard">Copy</button></figcaption>${aside}${pre}</figure>\n`;
}
