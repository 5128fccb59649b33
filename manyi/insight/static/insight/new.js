/* Choosing a template loads its text; without scripts the ?template= link does the same.
   Choosing where the answers come from shows only that part of the form (without scripts
   every part shows, and the server reads the one chosen). */
(function () {
  "use strict";
  const select = document.getElementById("id_template");
  if (select) {
    select.addEventListener("change", async function (event) {
      const name = event.target.value;
      if (!name) return;
      const response = await fetch(select.getAttribute("data-templates") + name + ".yaml");
      if (response.ok) document.getElementById("id_model_yaml").value = await response.text();
    });
  }
  const radios = document.querySelectorAll('input[name="source"]');
  function show() {
    const chosen = document.querySelector('input[name="source"]:checked');
    const source = chosen ? chosen.value : "";
    document.querySelectorAll(".source-part").forEach(function (part) {
      const wanted = part.getAttribute("data-source").split(" ");
      part.hidden = source !== "" && wanted.indexOf(source) < 0;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", show); });
  show();
})();
