/* The questionnaire editor: show the options only for choice questions and the scale only
   for rating scales as the type changes, keep Enter in a field from pressing a button,
   bring the question just moved or added into view, and warn before leaving a draft that
   was not saved. Every change itself is made by the server (edit.html posts the draft). */
(function () {
  "use strict";
  const form = document.getElementById("editor");
  if (!form) return;
  const selectKinds = new Set((form.dataset.selectKinds || "").split(" "));

  function showFor(select) {
    const block = select.closest(".question");
    const kind = select.value;
    block.querySelectorAll("[data-for=select]").forEach((el) => { el.hidden = !selectKinds.has(kind); });
    block.querySelectorAll("[data-for=range]").forEach((el) => { el.hidden = kind !== "range"; });
  }
  form.querySelectorAll("select[data-kind]").forEach((select) => {
    select.addEventListener("change", () => showFor(select));
  });

  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT") event.preventDefault();
  });

  const anchor = form.dataset.anchor && document.getElementById(form.dataset.anchor);
  if (anchor) {
    anchor.classList.add("moved");
    anchor.scrollIntoView({ block: "start" });
  }

  let dirty = form.dataset.unsaved === "1";
  let leaving = false;
  form.addEventListener("input", () => { dirty = true; });
  form.addEventListener("submit", (event) => {
    const target = event.submitter && event.submitter.getAttribute("formtarget");
    if (target !== "_blank") leaving = true;
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty && !leaving) { event.preventDefault(); event.returnValue = ""; }
  });
})();
