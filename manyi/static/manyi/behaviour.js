/* Small behaviours every page may use, declared in the markup (no inline scripts, so the
   Content-Security-Policy can forbid them):
     <select data-autosubmit>      submits its form when the choice changes
     <form data-confirm="...">     asks before submitting
     <button data-print>           prints the page */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    const select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.requestSubmit();
  });
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("button[data-print]")) window.print();
  });
})();
