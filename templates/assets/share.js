// presskit: the copy-link button of a release page; no third-party script, nothing tracked.
// Without JavaScript (or a clipboard) the button stays hidden and the plain share links remain.
(() => {
  "use strict";
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("button.copy-link")) {
    const status = button.parentElement.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.url);
        status.textContent = button.dataset.copied;
      } catch {
        status.textContent = button.dataset.failed;
      }
    });
  }
})();
