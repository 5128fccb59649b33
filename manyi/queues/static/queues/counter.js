/* The counter's keyboard: each action's letter (F finish, P set aside, T transfer...)
   submits its form, unless the agent is typing in a field. */
document.addEventListener("keydown", function (event) {
  if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
  const form = document.querySelector('#keys form[data-key="' + event.key.toLowerCase() + '"]');
  if (!form) return;
  event.preventDefault();
  if (form.id === "transfer") { form.querySelector("select").focus(); return; }
  form.requestSubmit();
});
