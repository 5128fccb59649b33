/* The customer's number on their phone: refreshed every few seconds; when it is called,
   the message says where to go and the phone vibrates. */
(function () {
  "use strict";
  const root = document.getElementById("ticket-status");
  const label = document.getElementById("status-label");
  const message = document.getElementById("status-message");
  const leave = document.getElementById("leave");
  let status = null;
  function refresh() {
    fetch(root.dataset.stateUrl, { cache: "no-store" })
      .then((r) => r.json())
      .then((state) => {
        label.textContent = state.status_label;
        message.textContent = state.message || "";
        message.classList.toggle("calling", state.status === "called");
        if (leave) leave.hidden = state.status !== "waiting";
        if (state.status === "called" && status !== "called" && navigator.vibrate) navigator.vibrate([300, 200, 300]);
        status = state.status;
      })
      .catch(() => {});
  }
  setInterval(refresh, 3000);
})();
