/* The respondent's page: one section at a time, questions shown and checked as the
   respondent answers (ManyiFormLogic), answers kept as a draft, and the server's verdict
   on submit. */
(function () {
  "use strict";
  const L = window.ManyiFormLogic;
  const data = JSON.parse(document.getElementById("survey-data").textContent);
  const text = JSON.parse(document.getElementById("survey-text").textContent);
  const form = data.definition;
  const lang = data.language;
  const rules = form.questions.map((q) => q.rule);
  const root = document.getElementById("survey");
  const keyName = "manyi-survey-key-" + data.token;
  const key = sessionStorage.getItem(keyName) || (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
  sessionStorage.setItem(keyName, key);
  const startedAt = new Date().toISOString();
  const answers = Object.assign({}, data.draft || {});
  const touched = new Set(Object.keys(answers));

  const label = (labels) => (labels && (labels[lang] || labels.default || Object.values(labels)[0])) || "";
  const el = (tag, attrs, children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => { if (v !== undefined && v !== null) node.setAttribute(k, v); });
    (children || []).forEach((c) => node.append(c));
    return node;
  };

  // Pages: each top-level group, and each run of questions outside groups.
  const pages = [];
  form.questions.forEach((q) => {
    if (["calculate", "hidden"].includes(q.kind)) return;
    const id = q.group.length ? "g:" + q.group[0] : "q";
    const last = pages[pages.length - 1];
    if (last && last.id === id && (id !== "q" || last.loose)) last.questions.push(q);
    else pages.push({ id: id, loose: id === "q", group: q.group[0], questions: [q] });
  });
  const groupLabels = Object.fromEntries(form.groups.map((g) => [g.name, label(g.labels)]));

  function input(q) {
    const name = q.name, value = answers[name] || "";
    const onChange = (v) => { answers[name] = v; touched.add(name); refresh(); saveSoon(); };
    if (q.kind === "select_one" || q.kind === "range") {
      let options = q.choices.map((c) => [c.name, label(c.labels)]);
      if (q.kind === "range") {
        const p = q.parameters, options2 = [];
        for (let v = +(p.start || 0); v <= +(p.end || 10); v += +(p.step || 1)) options2.push([String(v), String(v)]);
        options = options2;
      }
      const box = el("div", { class: q.kind === "range" ? "scale" : "choices", role: "radiogroup" });
      options.forEach(([v, t]) => {
        const radio = el("input", { type: "radio", name: name, value: v });
        radio.checked = value === v;
        radio.addEventListener("change", () => onChange(v));
        box.append(el("label", {}, [radio, " " + t]));
      });
      return box;
    }
    if (q.kind === "select_multiple") {
      const box = el("div", { class: "choices" });
      const chosen = new Set(value.split(/\s+/).filter(Boolean));
      q.choices.forEach((c) => {
        const check = el("input", { type: "checkbox", name: name, value: c.name });
        check.checked = chosen.has(c.name);
        check.addEventListener("change", () => {
          check.checked ? chosen.add(c.name) : chosen.delete(c.name);
          onChange(q.choices.map((x) => x.name).filter((x) => chosen.has(x)).join(" "));
        });
        box.append(el("label", {}, [check, " " + label(c.labels)]));
      });
      return box;
    }
    if (q.kind === "note") return el("div");
    const multiline = q.kind === "text" && q.appearance.includes("multiline");
    const field = multiline ? el("textarea", { name: name, rows: "3" }) : el("input", {
      name: name,
      type: q.kind === "date" ? "date" : "text",
      inputmode: q.kind === "integer" ? "numeric" : q.kind === "decimal" ? "decimal" : undefined,
    });
    field.value = value;
    field.addEventListener("input", () => onChange(field.value));
    return field;
  }

  const blocks = {};
  const pageNodes = pages.map((page, index) => {
    const section = el("section", { class: "page", "data-page": String(index) });
    if (page.group) section.append(el("h2", {}, [groupLabels[page.group] || ""]));
    page.questions.forEach((q) => {
      const block = el("div", { class: "question", "data-question": q.name }, [
        el("p", { class: "label" }, [label(q.labels)]),
      ]);
      if (label(q.hints)) block.append(el("p", { class: "hint" }, [label(q.hints)]));
      block.append(input(q), el("p", { class: "error", role: "alert" }));
      blocks[q.name] = block;
      section.append(block);
    });
    return section;
  });
  const progress = el("progress", { max: "100", value: "0", id: "survey-progress" });
  const back = el("button", { type: "button", id: "survey-back" }, [text.back]);
  const next = el("button", { type: "button", class: "primary", id: "survey-next" }, [text.next]);
  const status = el("p", { id: "survey-status", class: "muted", "aria-live": "polite" });
  const optOut = el("button", { type: "button", class: "link", id: "survey-opt-out" }, [text.optOut]);
  optOut.addEventListener("click", () => {
    fetch(data.urls.optOut, { method: "POST" }).then((r) => { if (r.ok) { optOut.remove(); status.textContent = text.optedOut; } });
  });
  root.append(progress, ...pageNodes, el("div", { class: "navigation" }, [back, next]), status);
  if (data.personal) root.append(el("p", { class: "muted" }, [optOut]));

  let current = 0;
  let state = L.runForm(rules, answers, data.today);

  function messageFor(problem) {
    if (problem.code === "constraint") {
      const q = form.questions.find((x) => x.name === problem.name);
      return label(q.constraint_messages) || problem.message || text.constraint;
    }
    return text[problem.code];
  }

  function visiblePages() {
    return pages.map((p, i) => [p, i]).filter(([p]) => p.questions.some((q) => state.relevant[q.name])).map(([, i]) => i);
  }

  function refresh(showAll) {
    state = L.runForm(rules, answers, data.today);
    const problems = Object.fromEntries(state.problems.map((p) => [p.name, p]));
    Object.entries(blocks).forEach(([name, block]) => {
      block.hidden = !state.relevant[name];
      const problem = problems[name];
      const show = problem && (showAll || (touched.has(name) && problem.code !== "required"));
      block.querySelector(".error").textContent = show ? messageFor(problem) : "";
      block.classList.toggle("invalid", Boolean(show));
    });
    const shown = visiblePages();
    if (!shown.includes(current)) current = shown.find((i) => i > current) ?? shown[shown.length - 1] ?? 0;
    pageNodes.forEach((node, i) => { node.hidden = i !== current; });
    const position = shown.indexOf(current);
    back.hidden = position <= 0;
    next.textContent = position === shown.length - 1 ? text.submit : text.next;
    const asked = form.questions.filter((q) => state.relevant[q.name] && !["calculate", "hidden", "note"].includes(q.kind));
    const done = asked.filter((q) => (state.values[q.name] || "") !== "").length;
    progress.value = asked.length ? Math.round((100 * done) / asked.length) : 0;
    return problems;
  }

  let timer = null;
  function saveSoon() {
    if (!data.urls.draft) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      fetch(data.urls.draft, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ answers: answers }) })
        .then((r) => { if (r.ok) status.textContent = text.saved; })
        .catch(() => {});
    }, 1500);
  }

  function pageProblems(index) {
    const names = new Set(pages[index].questions.map((q) => q.name));
    return state.problems.filter((p) => names.has(p.name));
  }

  back.addEventListener("click", () => {
    const shown = visiblePages();
    const position = shown.indexOf(current);
    if (position > 0) { current = shown[position - 1]; refresh(); window.scrollTo(0, 0); }
  });

  next.addEventListener("click", () => {
    pages[current].questions.forEach((q) => touched.add(q.name));
    refresh(true);
    if (pageProblems(current).length) { status.textContent = text.fix; return; }
    const shown = visiblePages();
    const position = shown.indexOf(current);
    if (position < shown.length - 1) { current = shown[position + 1]; status.textContent = ""; refresh(); window.scrollTo(0, 0); return; }
    submit();
  });

  function submit() {
    next.disabled = true;
    status.textContent = text.sending;
    const answered = Object.fromEntries(Object.entries(answers).filter(([k]) => k in state.values));
    const headers = { "Content-Type": "application/json" };
    if (data.csrf) headers["X-CSRFToken"] = data.csrf;
    fetch(data.urls.submit, {
      method: "POST",
      headers: headers,
      body: JSON.stringify({ answers: answered, submission_key: key, language: lang, started_at: startedAt }),
    }).then((r) => r.json().then((body) => [r.status, body])).then(([code, body]) => {
      next.disabled = false;
      if (code === 200 || code === 201) {
        sessionStorage.removeItem(keyName);
        if (data.urls.done) { window.location.assign(data.urls.done); return; }
        root.replaceChildren(el("div", { class: "card", id: "survey-done" }, [el("h2", {}, [text.thanks])]));
        return;
      }
      if (code === 422 && body.problems) {
        body.problems.forEach((p) => {
          const block = blocks[p.question];
          if (block) { block.querySelector(".error").textContent = p.message; block.classList.add("invalid"); }
        });
        const first = body.problems.map((p) => pages.findIndex((page) => page.questions.some((q) => q.name === p.question))).filter((i) => i >= 0)[0];
        if (first !== undefined) { current = first; pageNodes.forEach((node, i) => { node.hidden = i !== current; }); }
      }
      status.textContent = body.message || text.failed;
    }).catch(() => { next.disabled = false; status.textContent = text.failed; });
  }

  refresh();
})();
