// Reveal one personal-data field on request; the server checks the permission and audits it.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.reveal");
  if (!button) return;
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  const response = await fetch(button.dataset.url, {
    method: "POST",
    headers: { "X-CSRFToken": csrf ? csrf.value : "" },
    credentials: "same-origin",
  });
  const data = await response.json();
  const target = button.parentElement.querySelector(".pii");
  if (response.ok) {
    target.textContent = data.value;
    button.remove();
  } else {
    target.textContent = data.message;
  }
});
