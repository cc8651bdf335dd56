// presskit serve: reload this tab when the site is rebuilt, show build errors over it.
// Injected into pages by the preview server only; never part of what `presskit build` writes.
(() => {
  "use strict";
  const script = document.currentScript;
  let build = script.dataset.build;
  let overlay = null;

  function showError(text) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "presskit-error";
      overlay.setAttribute("role", "alertdialog");
      overlay.setAttribute("aria-labelledby", "presskit-error-title");
      overlay.style.cssText = [
        "position:fixed", "inset:0", "z-index:2147483647", "overflow:auto",
        "background:rgba(20,24,30,.92)", "color:#fff", "padding:2rem 1rem",
        "font:16px/1.5 system-ui,sans-serif",
      ].join(";");
      overlay.innerHTML =
        '<div style="max-width:60rem;margin:0 auto">' +
        '<h2 id="presskit-error-title" style="margin:0 0 .5rem;font-size:1.4rem;color:#ffbf47">' +
        "The site could not be rebuilt</h2>" +
        '<p style="margin:0 0 1rem">Fix the file named below and save it: this page updates by ' +
        "itself. Until then, the last good version of the site is shown underneath.</p>" +
        '<pre style="white-space:pre-wrap;background:#000;color:#fff;padding:1rem;' +
        'border-radius:6px;font:14px/1.5 ui-monospace,monospace"></pre></div>';
      document.body.appendChild(overlay);
    }
    overlay.querySelector("pre").textContent = text;
  }

  function showNotice(text) {
    let bar = document.getElementById("presskit-notice");
    if (!text) {
      if (bar) bar.remove();
      return;
    }
    if (!bar) {
      bar = document.createElement("div");
      bar.id = "presskit-notice";
      bar.setAttribute("role", "status");
      bar.style.cssText = [
        "position:fixed", "inset:auto 0 0 0", "z-index:2147483646", "padding:.75rem 1rem",
        "background:#fff3c4", "color:#1b1b1b", "border-top:3px solid #b58100",
        "font:15px/1.4 system-ui,sans-serif",
      ].join(";");
      document.body.appendChild(bar);
    }
    bar.textContent = text;
  }

  function swapStylesheets() {
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      const url = new URL(link.href);
      url.searchParams.set("presskit", Date.now());
      link.href = url.toString();
    }
  }

  const events = new EventSource("/__presskit__/events");
  events.addEventListener("state", (event) => {
    const state = JSON.parse(event.data);
    showNotice(state.notice);
    if (state.error) {
      showError(state.error);
      return;
    }
    if (overlay) {
      location.reload();
      return;
    }
    if (String(state.build) === build) return;
    if (state.css_only && String(state.previous) === build) {
      swapStylesheets();
      build = String(state.build);
      return;
    }
    location.reload();
  });
})();
