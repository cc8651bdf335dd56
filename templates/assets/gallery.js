// The release's photos, large, in a <dialog>: opened by click, tap or Enter on a photo;
// arrows and swipes go to the next and previous one; Escape or the close button closes it,
// and focus goes back to the photo it was opened from. Without this script, a photo's link
// opens the photo itself.
(function () {
  "use strict";
  var dialog = document.querySelector("dialog.lightbox");
  var links = Array.prototype.slice.call(document.querySelectorAll("figure.photo a.photo-open"));
  if (!dialog || !links.length || typeof dialog.showModal !== "function") return;
  var image = document.createElement("img");  // added when a photo opens: never an <img> without one
  var caption = dialog.querySelector("figcaption");
  var count = dialog.querySelector(".lightbox-count");
  var download = dialog.querySelector(".lightbox-download");
  var previous = dialog.querySelector(".lightbox-previous");
  var next = dialog.querySelector(".lightbox-next");
  var rtl = document.documentElement.dir === "rtl";
  var current = 0;

  function show(index) {
    current = (index + links.length) % links.length;
    var link = links[current];
    var figure = link.closest("figure");
    var shown = link.querySelector("img");
    image.src = link.getAttribute("data-large") || link.getAttribute("href");
    if (!image.parentNode) caption.parentNode.insertBefore(image, caption);
    image.alt = shown ? shown.alt : "";
    var words = figure.querySelector("figcaption");
    caption.textContent = "";
    ["caption", "credit"].forEach(function (name) {
      var part = words && words.querySelector("." + name);
      if (part) {
        var span = document.createElement("span");
        span.className = name;
        span.textContent = part.textContent;
        caption.appendChild(span);
        caption.appendChild(document.createTextNode(" "));
      }
    });
    var file = words && words.querySelector(".photo-download");
    download.href = file ? file.getAttribute("href") : link.getAttribute("href");
    count.textContent = dialog.getAttribute("data-of")
      .replace("{number}", String(current + 1)).replace("{count}", String(links.length));
    previous.hidden = next.hidden = links.length < 2;
  }

  links.forEach(function (link, index) {
    link.addEventListener("click", function (event) {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      show(index);
      dialog.showModal();
      dialog.querySelector(".lightbox-close").focus();
    });
  });
  previous.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  dialog.querySelector(".lightbox-close").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) dialog.close();  // a click on the backdrop
  });
  dialog.addEventListener("close", function () {
    if (image.parentNode) image.parentNode.removeChild(image);
    links[current].focus();
  });
  dialog.addEventListener("keydown", function (event) {
    var forward = rtl ? "ArrowLeft" : "ArrowRight";
    var back = rtl ? "ArrowRight" : "ArrowLeft";
    if (event.key === forward) { show(current + 1); event.preventDefault(); }
    else if (event.key === back) { show(current - 1); event.preventDefault(); }
    else if (event.key === "Home") { show(0); event.preventDefault(); }
    else if (event.key === "End") { show(links.length - 1); event.preventDefault(); }
  });
  var startX = null;
  dialog.addEventListener("pointerdown", function (event) { startX = event.clientX; });
  dialog.addEventListener("pointerup", function (event) {
    if (startX === null) return;
    var moved = event.clientX - startX;
    startX = null;
    if (Math.abs(moved) < 50) return;
    var towardsStart = rtl ? moved < 0 : moved > 0;  // a swipe drags the photo along
    show(current + (towardsStart ? -1 : 1));
  });
}());
