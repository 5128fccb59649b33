/* Choosing a template loads its text; without scripts the ?template= link does the same. */
(function () {
  "use strict";
  const select = document.getElementById("id_template");
  if (!select) return;
  select.addEventListener("change", async function (event) {
    const name = event.target.value;
    if (!name) return;
    const response = await fetch(select.getAttribute("data-templates") + name + ".yaml");
    if (response.ok) document.getElementById("id_model_yaml").value = await response.text();
  });
})();
