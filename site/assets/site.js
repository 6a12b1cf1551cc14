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

  // A box that scrolls sideways (a wide table, a timeline on a phone) says
  // so: the style sheet draws a line above it while it overflows.
  const boxes = document.querySelectorAll(
    ".table-wrap, .diagram-scroll, .chart-scroll",
  );
  const mark = (box) =>
    box.classList.toggle("overflows", box.scrollWidth > box.clientWidth + 1);
  const resized = new ResizeObserver((entries) => {
    for (const entry of entries) mark(entry.target);
  });
  for (const box of boxes) {
    resized.observe(box);
    for (const img of box.querySelectorAll("img")) {
      img.addEventListener("load", () => mark(box));
    }
  }

  // A chart or timeline opens full screen on a tap: it pans (drag, swipe,
  // arrow keys) and zooms (the buttons, + and -, 0 to fit); Esc, the close
  // button or Back closes it.
  const opens = document.querySelectorAll("figure.chart a.open-full");
  if (opens.length && typeof HTMLDialogElement === "function") {
    const viewer = document.createElement("dialog");
    viewer.className = "viewer";
    viewer.setAttribute("aria-label", "Figure, full screen");
    viewer.innerHTML = '<div class="viewer-bar"><span class="viewer-title">' +
      '</span><button type="button" data-zoom="-1" aria-label="Zoom out">' +
      '−</button><button type="button" data-zoom="0" aria-label="Fit to ' +
      'the screen">Fit</button><button type="button" data-zoom="1" ' +
      'aria-label="Zoom in">+</button><button type="button" ' +
      'class="viewer-close" aria-label="Close">✕</button></div>' +
      '<div class="viewer-pane" tabindex="0" role="region" ' +
      'aria-label="Figure: arrow keys pan, + and - zoom"><img alt=""></div>';
    document.body.append(viewer);
    const pane = viewer.querySelector(".viewer-pane");
    const image = pane.querySelector("img");
    const title = viewer.querySelector(".viewer-title");
    let scale = 1;
    const zoom = (step) => {
      const fit = pane.clientWidth / (image.naturalWidth || 1);
      scale = step === 0
        ? fit
        : Math.min(4, Math.max(fit / 2, scale * (step > 0 ? 1.25 : 0.8)));
      image.style.width = `${image.naturalWidth * scale}px`;
    };
    const close = () => {
      if (history.state && history.state.viewer) history.back();
      else viewer.close();
    };
    for (const link of opens) {
      link.addEventListener("click", (event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        const figure = link.closest("figure");
        const img = figure.querySelector("img");
        title.textContent = figure.querySelector("figcaption code")
          ?.textContent ?? "";
        image.alt = img ? img.alt : "";
        image.onload = () => {
          scale = 1; // Full size: the size the figure was drawn for.
          image.style.width = `${image.naturalWidth}px`;
        };
        image.src = link.href;
        viewer.showModal();
        history.pushState({ viewer: true }, "");
        pane.focus();
      });
    }
    viewer.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      if (button.classList.contains("viewer-close")) close();
      else zoom(Number(button.dataset.zoom));
    });
    viewer.addEventListener("cancel", (event) => {
      event.preventDefault();
      close();
    });
    viewer.addEventListener("keydown", (event) => {
      const step = { "+": 1, "=": 1, "-": -1, "0": 0 }[event.key];
      if (step !== undefined) {
        event.preventDefault();
        zoom(step);
      }
    });
    addEventListener("popstate", () => {
      if (viewer.open) viewer.close();
    });
    // A mouse drags the figure around; touch pans natively.
    let drag = null;
    pane.addEventListener("pointerdown", (event) => {
      if (event.pointerType !== "mouse") return;
      drag = { x: event.clientX, y: event.clientY };
      pane.setPointerCapture(event.pointerId);
    });
    pane.addEventListener("pointermove", (event) => {
      if (!drag) return;
      pane.scrollBy(drag.x - event.clientX, drag.y - event.clientY);
      drag = { x: event.clientX, y: event.clientY };
    });
    pane.addEventListener("pointerup", () => drag = null);
  }

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
