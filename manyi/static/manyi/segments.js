/* The segment rule builder (customers/segment_form.html). Without JavaScript the rows are a
   plain formset and the server fits each row's value picker to its attribute. Here:
     choosing an attribute   puts in its comparisons and value picker, from the
                             <template class="condition-attribute"> the server rendered for it
     choosing "is one of"    puts in the picker for several values (and back), keeping the values
     "Add a condition"       adds a row in place (from <template id="condition-empty">)
     "Remove this condition" hides the row; the server drops it on saving */
(function () {
  "use strict";
  const form = document.getElementById("segment-form");
  if (!form) return;
  const rows = document.getElementById("condition-rows");
  const total = form.querySelector("input[name='condition-TOTAL_FORMS']");
  const PLACEHOLDER = "condition-__prefix__";
  const RENAMED = ["name", "id", "for", "aria-describedby", "data-prefix"];

  function renamed(node, prefix) {
    const copy = node.cloneNode(true);
    for (const element of [copy, ...copy.querySelectorAll("*")]) {
      for (const attribute of RENAMED) {
        const value = element.getAttribute(attribute);
        if (value && value.includes(PLACEHOLDER)) {
          element.setAttribute(attribute, value.split(PLACEHOLDER).join(prefix));
        }
      }
    }
    return copy;
  }

  function attributeTemplate(field) {
    for (const template of form.querySelectorAll("template.condition-attribute")) {
      if (template.dataset.field === field) return template;
    }
    return null;
  }

  function part(row, role) {
    return row.querySelector(`[data-role="${role}"]`);
  }

  function chosen(row, name) {
    const control = row.querySelector(`[name="${row.dataset.prefix}-${name}"]`);
    return control ? control.value : "";
  }

  function valuesIn(container) {
    const values = [];
    for (const control of container.querySelectorAll("input, select")) {
      if (control.type === "checkbox") {
        if (control.checked) values.push(control.value);
      } else if (control.value.trim() !== "") {
        values.push(...control.value.split(/[、,，;；]+/).map((v) => v.trim()).filter(Boolean));
      }
    }
    return values;
  }

  function fill(container, values) {
    for (const control of container.querySelectorAll("input, select")) {
      if (control.type === "checkbox") {
        control.checked = values.includes(control.value);
      } else if (control.tagName === "SELECT") {
        const option = [...control.options].find((o) => values.includes(o.value));
        if (option) control.value = option.value;
      } else if (control.type === "number") {
        control.value = values.length ? values[0] : "";
      } else {
        control.value = values.join("、");
      }
    }
  }

  function showValuePicker(row, carried) {
    const field = chosen(row, "field");
    const template = attributeTemplate(field) || attributeTemplate("");
    const mode = chosen(row, "op") === "in" ? "many" : "one";
    const picker = renamed(
      template.content.querySelector(`[data-role="value"][data-mode="${mode}"]`),
      row.dataset.prefix,
    );
    picker.removeAttribute("data-mode");
    if (carried) fill(picker, carried);
    part(row, "value").replaceWith(picker);
    part(row, "shown").value = `${field}:${mode}`;
  }

  function showAttribute(row) {
    const template = attributeTemplate(chosen(row, "field")) || attributeTemplate("");
    const before = chosen(row, "op");
    const comparisons = renamed(template.content.querySelector('[data-role="op"]'), row.dataset.prefix);
    const select = comparisons.querySelector("select");
    if ([...select.options].some((option) => option.value === before)) select.value = before;
    part(row, "op").replaceWith(comparisons);
    showValuePicker(row, null);
  }

  form.addEventListener("change", function (event) {
    const row = event.target.closest("li.condition");
    if (!row) return;
    const name = event.target.name || "";
    const prefix = row.dataset.prefix;
    if (name === `${prefix}-field`) {
      showAttribute(row);
    } else if (name === `${prefix}-op`) {
      const shown = part(row, "shown").value.endsWith(":many");
      if (shown !== (event.target.value === "in")) showValuePicker(row, valuesIn(part(row, "value")));
    } else if (name === `${prefix}-DELETE` && event.target.checked) {
      row.hidden = true;
    }
  });

  const add = document.getElementById("add-condition");
  if (add && total) {
    add.type = "button"; // Enter in a field saves, as without JavaScript
    const place = document.createElement("p");
    place.appendChild(add);
    rows.after(place);
    add.addEventListener("click", function () {
      const index = Number(total.value);
      const empty = document.getElementById("condition-empty").content.querySelector("li");
      const row = renamed(empty, `condition-${index}`);
      total.value = String(index + 1);
      rows.appendChild(row);
      row.querySelector("select").focus();
    });
  }
})();
