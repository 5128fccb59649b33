/* The respondent's page: one section at a time, questions shown and checked as the
   respondent answers (ManyiFormLogic), answers kept as a draft, and the server's verdict
   on submit. Rank questions are a list ordered with up/down buttons; a table-list group
   (or a field-list of select_one questions on one list) is a grid; randomize=true shuffles
   a question's choices in an order fixed for this respondent. */
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
  // A shared link's unfinished answers stay on this device (localStorage), never on the
  // server, where the next person scanning the same QR code would see them.
  const localName = "manyi-survey-draft-" + data.token;
  const localDraft = () => {
    if (data.urls.draft || !data.urls.submit) return {};
    try { return JSON.parse(localStorage.getItem(localName) || "{}"); } catch (e) { return {}; }
  };
  const answers = Object.assign({}, data.draft || {}, localDraft());
  const touched = new Set(Object.keys(answers));
  // The seed of the randomised orders: the link's (the same order on every visit to it),
  // this visit's key on a link many people share, the case's on the phone console.
  const seedBase = "seed" in data ? data.seed || key : data.token;

  const label = (labels) => (labels && (labels[lang] || labels.default || Object.values(labels)[0])) || "";
  const el = (tag, attrs, children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => { if (v !== undefined && v !== null) node.setAttribute(k, v); });
    (children || []).forEach((c) => node.append(c));
    return node;
  };
  const fill = (template, values) => template.replace(/%\((\w+)\)s/g, (whole, k) => (k in values ? String(values[k]) : whole));
  const words = (appearance) => (appearance || "").split(/\s+/).filter(Boolean);
  const SELECTS = ["select_one", "select_multiple"];
  const isHeaderRow = (q) => SELECTS.includes(q.kind) && words(q.appearance).includes("label");
  const NUMBER = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/;

  /* The choices in the order this respondent sees them. A numeric seed= gives everyone the
     same order, as in ODK; otherwise the order is this respondent's, per question. */
  function choicesOf(q) {
    const p = q.parameters || {};
    if (p.randomize !== "true") return q.choices;
    const seed = NUMBER.test(p.seed || "") ? "seed:" + Number(p.seed) : seedBase + "\u0000" + q.name;
    return L.orderChoices(q.choices, seed);
  }

  /* Grids: the rows of a table-list group are its select questions on the first one's
     list; a field-list group is a grid when all its questions (no subgroups) are select_one
     on one list. A select with appearance "label" (ODK's hand-made grid header) is the
     header, never a row. */
  const sameList = (a, b) => a.choices.length === b.choices.length && a.choices.every((c, i) => c.name === b.choices[i].name);
  const grids = {};
  form.groups.forEach((g) => {
    const look = words(g.appearance);
    const table = look.includes("table-list");
    if (!table && !look.includes("field-list")) return;
    const inside = form.questions.filter((q) => q.group.includes(g.name) && !["calculate", "hidden"].includes(q.kind));
    const direct = inside.filter((q) => q.group[q.group.length - 1] === g.name);
    const first = direct.find((q) => SELECTS.includes(q.kind) && !isHeaderRow(q));
    if (!first) return;
    let rows;
    if (table) rows = direct.filter((q) => SELECTS.includes(q.kind) && !isHeaderRow(q) && sameList(q, first));
    else if (inside.length === direct.length && direct.every((q) => q.kind === "select_one" && sameList(q, first))) rows = direct.filter((q) => !isHeaderRow(q));
    else return;
    if (rows.length < (table ? 1 : 2)) return;
    const grid = { group: g, rows: rows, choices: choicesOf(first), node: null };
    direct.filter((q) => rows.includes(q) || (isHeaderRow(q) && sameList(q, first))).forEach((q) => { grids[q.name] = grid; });
  });

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

  const changed = (name, v) => { answers[name] = v; touched.add(name); refresh(); saveSoon(); };

  function input(q) {
    const name = q.name, value = answers[name] || "";
    const onChange = (v) => changed(name, v);
    if (q.kind === "rank") return rankInput(q);
    if (q.kind === "select_one" || q.kind === "range") {
      let options = choicesOf(q).map((c) => [c.name, label(c.labels)]);
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
      choicesOf(q).forEach((c) => {
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

  /* A ranking: the choices as an ordered list, each with up and down buttons. It is an
     answer only once the respondent moved something or confirmed the order shown, so a
     required ranking is not met by leaving the first order alone. */
  function rankInput(q) {
    const name = q.name;
    const shown = choicesOf(q).map((c) => c.name);
    const names = Object.fromEntries(q.choices.map((c) => [c.name, label(c.labels)]));
    const saved = (answers[name] || "").split(/\s+/).filter((c) => c in names);
    let order = Array.from(new Set(saved));
    order = order.concat(shown.filter((c) => !order.includes(c)));
    const list = el("ol", { class: "rank-list", "aria-label": label(q.labels) });
    const confirm = el("button", { type: "button", class: "rank-confirm", "aria-pressed": "false" });
    const live = el("p", { class: "visually-hidden", "aria-live": "polite" });
    const box = el("div", { class: "rank" }, [el("p", { class: "hint" }, [text.rankHint]), list, confirm, live]);

    function draw() {
      list.replaceChildren(...order.map((code, i) => {
        const button = (direction, edge) => {
          const b = el("button", {
            type: "button",
            class: "rank-" + direction,
            "aria-label": fill(direction === "up" ? text.moveUp : text.moveDown, { label: names[code] }),
            "aria-disabled": edge ? "true" : "false",
          }, [direction === "up" ? "↑" : "↓"]);
          b.addEventListener("click", () => move(i, direction));
          return b;
        };
        return el("li", { class: "rank-item", "data-value": code }, [
          el("span", { class: "rank-position", "aria-hidden": "true" }, [String(i + 1)]),
          el("span", { class: "rank-label" }, [names[code]]),
          button("up", i === 0),
          button("down", i === order.length - 1),
        ]);
      }));
      const answered = (answers[name] || "") !== "";
      confirm.setAttribute("aria-pressed", answered ? "true" : "false");
      confirm.textContent = answered ? "✓ " + text.rankConfirmed : text.rankConfirm;
    }

    function move(i, direction) {
      const j = direction === "up" ? i - 1 : i + 1;
      if (j < 0 || j >= order.length) return;
      [order[i], order[j]] = [order[j], order[i]];
      changed(name, order.join(" "));
      draw();
      // keep the keyboard on the item moved: the same button, or the other at an end
      const item = list.children[j];
      const same = item.querySelector(".rank-" + direction);
      (same.getAttribute("aria-disabled") === "true" ? item.querySelector(direction === "up" ? ".rank-down" : ".rank-up") : same).focus();
      live.textContent = fill(text.moved, { label: names[order[j]], position: j + 1, count: order.length });
    }

    confirm.addEventListener("click", () => { changed(name, order.join(" ")); draw(); });
    draw();
    return box;
  }

  /* One grid: a header of choice labels (wide screens), then a row per question whose
     choices carry their own labels, shown under the buttons on a phone where the header is
     hidden. Each row keeps its own error line. */
  function gridBlock(grid, page) {
    const g = grid.group;
    const node = el("div", { class: "question grid", "data-grid": g.name });
    node.style.setProperty("--columns", String(grid.choices.length)); // (CSSOM: allowed by the CSP)
    if (grid.choices.length > 6) node.classList.add("grid-wide");
    if (g.name !== page.group) { // the page's own group has its heading already
      if (label(g.labels)) node.append(el("p", { class: "label" }, [label(g.labels)]));
      if (label(g.hints)) node.append(el("p", { class: "hint" }, [label(g.hints)]));
    }
    node.append(el("div", { class: "grid-head", "aria-hidden": "true" }, [el("span")].concat(grid.choices.map((c) => el("span", {}, [label(c.labels)])))));
    grid.rows.forEach((q) => {
      const multiple = q.kind === "select_multiple";
      const id = "grid-label-" + q.name;
      const row = el("div", { class: "grid-row", "data-question": q.name, role: multiple ? "group" : "radiogroup", "aria-labelledby": id });
      const heading = el("div", { class: "grid-label", id: id }, [label(q.labels)]);
      if (label(q.hints)) heading.append(el("span", { class: "hint" }, [label(q.hints)]));
      row.append(heading);
      const chosen = new Set((answers[q.name] || "").split(/\s+/).filter(Boolean));
      grid.choices.forEach((c) => {
        const box = el("input", { type: multiple ? "checkbox" : "radio", name: q.name, value: c.name });
        box.checked = chosen.has(c.name);
        box.addEventListener("change", () => {
          if (!multiple) { changed(q.name, c.name); return; }
          box.checked ? chosen.add(c.name) : chosen.delete(c.name);
          changed(q.name, q.choices.map((x) => x.name).filter((x) => chosen.has(x)).join(" "));
        });
        row.append(el("label", { class: "grid-cell" }, [box, el("span", { class: "grid-choice" }, [label(c.labels)])]));
      });
      row.append(el("p", { class: "error", role: "alert" }));
      blocks[q.name] = row;
      node.append(row);
    });
    return node;
  }

  const blocks = {};
  const groupsByName = Object.fromEntries(form.groups.map((g) => [g.name, g]));
  const pageNodes = pages.map((page, index) => {
    const section = el("section", { class: "page", "data-page": String(index) });
    if (page.group) section.append(el("h2", {}, [groupLabels[page.group] || ""]));
    const groupHint = page.group && groupsByName[page.group] ? label(groupsByName[page.group].hints) : "";
    if (groupHint) section.append(el("p", { class: "hint" }, [groupHint]));
    page.questions.forEach((q) => {
      const grid = grids[q.name];
      if (grid) {
        if (!grid.node) { grid.node = gridBlock(grid, page); section.append(grid.node); }
        return;
      }
      if (isHeaderRow(q)) return; // a grid header with no grid to head: nothing to answer
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
    const q = form.questions.find((x) => x.name === problem.name);
    if (problem.code === "constraint") return label(q.constraint_messages) || problem.message || text.constraint;
    if (problem.code === "required" && q.kind === "rank") return text.rankRequired;
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
    new Set(Object.values(grids)).forEach((grid) => {
      if (grid.node) grid.node.hidden = grid.rows.every((q) => !state.relevant[q.name]);
    });
    const shown = visiblePages();
    if (!shown.includes(current)) current = shown.find((i) => i > current) ?? shown[shown.length - 1] ?? 0;
    pageNodes.forEach((node, i) => { node.hidden = i !== current; });
    const position = shown.indexOf(current);
    back.hidden = position <= 0;
    next.textContent = position === shown.length - 1 ? text.submit : text.next;
    const asked = form.questions.filter((q) => state.relevant[q.name] && !["calculate", "hidden", "note"].includes(q.kind) && !isHeaderRow(q));
    const done = asked.filter((q) => (state.values[q.name] || "") !== "").length;
    progress.value = asked.length ? Math.round((100 * done) / asked.length) : 0;
    return problems;
  }

  let timer = null;
  function saveSoon() {
    if (!data.urls.draft) {
      if (data.urls.submit && data.token) {
        try { localStorage.setItem(localName, JSON.stringify(answers)); } catch (e) { /* private mode */ }
      }
      return;
    }
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
      body: JSON.stringify({ answers: answered, submission_key: key, language: lang, started_at: startedAt, version: data.version }),
    }).then((r) => r.json().then((body) => [r.status, body])).then(([code, body]) => {
      next.disabled = false;
      if (code === 200 || code === 201) {
        sessionStorage.removeItem(keyName);
        try { localStorage.removeItem(localName); } catch (e) { /* private mode */ }
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
