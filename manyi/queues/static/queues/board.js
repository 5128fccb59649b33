/* The display board: every call arrives over server-sent events (reconnecting by itself
   with the last id it saw); if the feed cannot be held open, the board polls instead. The
   call is shown large, listed, and spoken when voice announcements are on. */
(function () {
  "use strict";
  const root = document.getElementById("board");
  const current = document.getElementById("current-number");
  const counter = document.getElementById("current-counter");
  const recent = document.querySelector("#recent-calls tbody");
  const waiting = document.getElementById("waiting");
  const clock = document.getElementById("clock");
  const running = document.getElementById("running-text");
  const soundButton = document.getElementById("sound");
  const counterWord = document.documentElement.lang.startsWith("zh") ? "号窗口" : "";
  let last = Number(root.dataset.last || 0);
  let voice = false;
  let failures = 0;
  let polling = null;

  function show(call) {
    if (call.id <= last) return;
    last = call.id;
    current.textContent = call.number;
    current.classList.remove("idle");
    counter.textContent = counterWord ? call.counter + counterWord : "Counter " + call.counter;
    current.classList.remove("flash");
    void current.offsetWidth; // restart the animation
    current.classList.add("flash");
    const row = document.createElement("tr");
    [call.number, call.counter, call.at].forEach((text) => {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    });
    recent.prepend(row);
    while (recent.children.length > 8) recent.lastElementChild.remove();
    if (voice && window.speechSynthesis && call.say) {
      const words = new SpeechSynthesisUtterance(call.say);
      words.lang = document.documentElement.lang.startsWith("zh") ? "zh-CN" : "en-US";
      window.speechSynthesis.speak(words);
    }
  }

  function applyState(state) {
    state.calls.slice().reverse().forEach(show);
    waiting.replaceChildren(...state.waiting.map((s) => {
      const item = document.createElement("li");
      item.dataset.prefix = s.prefix;
      const strong = document.createElement("strong");
      strong.textContent = s.waiting;
      item.append(s.name + " ", strong);
      return item;
    }));
    clock.textContent = state.now;
    running.textContent = state.running_text;
  }

  function refresh() {
    fetch(root.dataset.state, { cache: "no-store" }).then((r) => r.json()).then(applyState).catch(() => {});
  }

  function poll() {
    if (polling) return;
    polling = setInterval(refresh, 1000);
  }

  if (window.EventSource) {
    const source = new EventSource(root.dataset.stream + "?after=" + last);
    source.addEventListener("call", (event) => { failures = 0; show(JSON.parse(event.data)); });
    source.addEventListener("open", () => { failures = 0; });
    source.addEventListener("error", () => {
      failures += 1;
      if (failures > 3) { source.close(); poll(); }
    });
  } else {
    poll();
  }
  setInterval(refresh, 10000); // waiting counts and the clock
  soundButton.addEventListener("click", () => {
    voice = !voice;
    soundButton.classList.toggle("on", voice);
    if (voice && window.speechSynthesis) window.speechSynthesis.speak(new SpeechSynthesisUtterance(""));
  });
})();
