/* Manyi feedback widget. Put on any page:
     <script src="https://YOUR-MANYI/static/surveys/widget.js" data-branch="SH01" defer></script>
   A small "意见反馈" button opens a form; what the customer writes lands in Manyi's
   store of customer feedback for that branch. */
(function () {
  "use strict";
  const script = document.currentScript;
  const branch = script.getAttribute("data-branch");
  const base = new URL(script.src).origin;
  const zh = (navigator.language || "zh").toLowerCase().startsWith("zh");
  const t = zh
    ? { open: "意见反馈", send: "提交", placeholder: "请写下您的意见或建议", contact: "联系方式（选填）", thanks: "谢谢，我们已收到您的意见。", failed: "提交失败，请稍后再试。" }
    : { open: "Feedback", send: "Send", placeholder: "Your comments or suggestions", contact: "Phone or e-mail (optional)", thanks: "Thank you, we have received it.", failed: "Sending failed, please try later." };
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = t.open;
  button.id = "manyi-feedback-open";
  button.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483000;padding:10px 14px;border-radius:20px;border:0;background:#1f6feb;color:#fff;font-size:15px;box-shadow:0 2px 6px #0003";
  const panel = document.createElement("form");
  panel.id = "manyi-feedback";
  panel.hidden = true;
  panel.style.cssText = "position:fixed;right:16px;bottom:64px;z-index:2147483000;width:280px;background:#fff;border-radius:10px;padding:12px;box-shadow:0 4px 16px #0003;font-size:14px";
  panel.innerHTML = '<textarea name="text" required rows="4" style="width:100%;box-sizing:border-box"></textarea>' +
    '<input name="contact" style="width:100%;box-sizing:border-box;margin-top:6px">' +
    '<button type="submit" style="margin-top:8px">' + t.send + '</button><p class="status" style="margin:6px 0 0"></p>';
  panel.elements.text.placeholder = t.placeholder;
  panel.elements.contact.placeholder = t.contact;
  button.addEventListener("click", () => { panel.hidden = !panel.hidden; });
  panel.addEventListener("submit", (event) => {
    event.preventDefault();
    fetch(base + "/feedback/widget", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ branch: branch, text: panel.elements.text.value, contact: panel.elements.contact.value }),
    }).then((r) => {
      panel.querySelector(".status").textContent = r.ok ? t.thanks : t.failed;
      if (r.ok) panel.elements.text.value = "";
    }).catch(() => { panel.querySelector(".status").textContent = t.failed; });
  });
  document.body.append(button, panel);
})();
