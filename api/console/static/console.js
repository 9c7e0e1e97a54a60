// hashdb console: small improvements on pages that work without it.
// - Add media: drop several files on the drop zone.
// - Review queue: keyboard shortcuts (j/k to move, c/d/a to confirm, dismiss, allow-list).
// - Match tester: the answer is fetched in place so the upload, which the server does not
//   keep, can be shown under its evidence from the browser's own copy of the file.
"use strict";

function typing(event) {
  const target = event.target;
  return target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function setUpDropZone() {
  const zone = document.getElementById("dropzone");
  const input = document.getElementById("files");
  const chosen = document.getElementById("chosen-files");
  if (!zone || !input || !chosen) return;
  const show = () => {
    chosen.replaceChildren(...Array.from(input.files).map((file) => {
      const item = document.createElement("li");
      item.textContent = `${file.name} (${Math.ceil(file.size / 1024)} KiB)`;
      return item;
    }));
  };
  input.addEventListener("change", show);
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
}

function setUpReviewKeys() {
  const queue = document.getElementById("queue");
  if (!queue) return;
  const cards = () => Array.from(queue.querySelectorAll("article.review-item"));
  const current = () => {
    const active = document.activeElement;
    return (active && active.closest && active.closest("article.review-item")) || null;
  };
  document.addEventListener("keydown", (event) => {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const all = cards();
    if (!all.length) return;
    const here = current();
    const index = here ? all.indexOf(here) : -1;
    if (event.key === "j" || event.key === "k") {
      const next = event.key === "j" ? Math.min(index + 1, all.length - 1) : Math.max(index - 1, 0);
      all[next].focus();
      all[next].scrollIntoView({ block: "nearest" });
      event.preventDefault();
      return;
    }
    const form = (here || all[0]).querySelector(`form[data-shortcut="${event.key}"]`);
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  if (!current() && cards().length) cards()[0].focus();
}

function setUpMatchTester() {
  const form = document.getElementById("match-form");
  const answer = document.getElementById("answer");
  if (!form || !answer) return;
  const input = form.querySelector("input[type=file]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = input.files[0];
    answer.replaceChildren(Object.assign(document.createElement("p"), { textContent: "Matching…" }));
    const response = await fetch(form.action, { method: "POST", body: new FormData(form) });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("answer") || page.querySelector("main");
    answer.replaceChildren(...Array.from(fresh.childNodes));
    if (file && response.ok) {
      const url = URL.createObjectURL(file);
      for (const image of answer.querySelectorAll("image[data-upload]")) {
        image.setAttribute("href", url);
      }
    }
    answer.focus();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpDropZone();
  setUpReviewKeys();
  setUpMatchTester();
});
