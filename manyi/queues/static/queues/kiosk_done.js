/* The kiosk's "your number" page: print on request, and back to the start after 20 s so
   the next customer finds the kiosk ready. */
(function () {
  "use strict";
  const print = document.getElementById("print");
  if (print) print.addEventListener("click", function () { window.print(); });
  setTimeout(function () { window.location.assign(window.location.pathname); }, 20000);
})();
