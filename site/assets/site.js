// echo-lab site: copy buttons and offline search. A classic script (not a
// module) so that it runs from file:// too; the pages work without it.
"use strict";

(() => {
  const status = document.getElementById("search-status");

  // Copy buttons: copy the code of the block the button heads.
  for (const button of document.querySelectorAll("button.copy")) {
    button.addEventListener("click", async () => {
      const pre = button.closest("figure").querySelector("pre");
      const text = pre.textContent;
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        // No clipboard API (some file:// contexts): select and copy.
        const range = document.createRange();
        range.selectNodeContents(pre);
        const selection = getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        document.execCommand("copy");
        selection.removeAllRanges();
      }
      button.textContent = "Copied";
      button.classList.add("copied");
      if (status) status.textContent = "Code copied to the clipboard.";
      setTimeout(() => {
        button.textContent = "Copy";
        button.classList.remove("copied");
      }, 1600);
    });
  }

  // A link into a collapsed section ("Going deeper") opens it first.
  const reveal = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    const details = target && target.closest("details:not([open])");
    if (!details) return;
    details.open = true;
    target.scrollIntoView();
  };
  addEventListener("hashchange", reveal);
  reveal();

  // Search: the index was built with the site (search-index.js).
  const input = document.getElementById("search-input");
  const list = document.getElementById("search-results");
  if (!input || !list || !globalThis.SEARCH || !globalThis.MiniSearch) return;
  const root = document.body.dataset.root || "";
  let index = null;

  function search(query) {
    index ??= MiniSearch.loadJS(
      globalThis.SEARCH.index,
      globalThis.SEARCH.options,
    );
    return index.search(query, {
      prefix: true,
      fuzzy: 0.15,
      boost: { title: 3, page: 1.5 },
      combineWith: "AND",
    }).slice(0, 8);
  }

  function show(query) {
    list.replaceChildren();
    if (!query.trim()) return close();
    const hits = search(query);
    for (const hit of hits) {
      const a = document.createElement("a");
      a.href = root + hit.url;
      a.textContent = hit.title;
      if (hit.page !== hit.title) {
        const small = document.createElement("small");
        small.textContent = hit.page;
        a.append(small);
      }
      const li = document.createElement("li");
      li.append(a);
      list.append(li);
    }
    if (hits.length === 0) {
      const li = document.createElement("li");
      li.className = "none";
      li.textContent = "Nothing found.";
      list.append(li);
    }
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    if (status) {
      status.textContent = `${hits.length} result${
        hits.length === 1 ? "" : "s"
      }.`;
    }
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  const links = () => [...list.querySelectorAll("a")];

  input.addEventListener("input", () => show(input.value));
  input.addEventListener("focus", () => input.value && show(input.value));
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      links()[0]?.focus();
    } else if (event.key === "Enter") {
      const first = links()[0];
      if (first) location.href = first.href;
    } else if (event.key === "Escape") {
      input.value = "";
      close();
    }
  });
  list.addEventListener("keydown", (event) => {
    const all = links();
    const at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown") {
      event.preventDefault();
      all[Math.min(at + 1, all.length - 1)]?.focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (at <= 0 ? input : all[at - 1]).focus();
    } else if (event.key === "Escape") {
      close();
      input.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".search")) close();
  });
  // "/" jumps to the search box, as on many documentation sites.
  document.addEventListener("keydown", (event) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(
      document.activeElement?.tagName ?? "",
    );
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      input.focus();
    }
  });
})();
