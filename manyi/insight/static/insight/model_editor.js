/* The model editor on /insight/new/ (templates/insight/_model_editor.html): blocks with
   their items picked from the data's columns, paths, the target, checked as you go.

   The YAML field (#id_model_yaml) stays what the form sends; the editor and it stay in step:
     an edit here         is checked by the server (models/check/, debounced), which answers
                          with the YAML; that text replaces the field's
     typing in the YAML   is read back here where it parses (else the editor shows the last
                          model it could read, and says why)
     choosing a template  reads the template into the editor the same way
   Sending the form first waits for the last check, so the YAML sent is the model shown.
   Without scripts this stays hidden and the YAML field works alone. */
(function () {
  "use strict";
  const root = document.getElementById("model-editor");
  const textarea = document.getElementById("id_model_yaml");
  if (!root || !textarea || !window.fetch) return;
  const form = textarea.form;
  const yamlLabel = document.querySelector('label[for="id_model_yaml"]');
  const $ = (id) => document.getElementById(id);
  const blocksList = $("me-blocks");
  const pathsList = $("me-paths");
  const targetSelect = $("me-target");
  const controls = $("me-controls");
  const CHECK_DELAY = 350;
  const MAX_OPTIONS = 200;
  const MODE_KEY = "manyi.modelEditor.mode";

  // Translated texts, from the partial's <template id="me-texts">; {name} is filled in.
  const TEXTS = {};
  $("me-texts").content.querySelectorAll("[data-key]").forEach(function (node) {
    TEXTS[node.dataset.key] = node.textContent;
  });
  function t(key, values) {
    let text = TEXTS[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }
  function fromTemplate(id) {
    return $(id).content.firstElementChild.cloneNode(true);
  }
  function slot(node, name) {
    return node.querySelector('[data-slot="' + name + '"]');
  }
  function field(node, name) {
    return node.querySelector('[data-field="' + name + '"]');
  }

  // --- the model as the editor holds it: blocks and paths by id, so renaming keeps paths
  let nextId = 1;
  const newId = () => "b" + nextId++;
  let model = emptyModel();
  let openPicker = null; // the block whose item picker is open
  let search = ""; // what the open picker searches for
  let columns = []; // [{name, label, scale}] of the chosen data
  let columnsKnown = false;
  let byName = new Map();

  function emptyModel() {
    return { meta: {}, name: "", blocks: [], paths: [], target: "" };
  }

  function fromDescription(described) {
    const ids = new Map();
    const next = emptyModel();
    next.name = described.name || "";
    next.meta = {
      description: described.description || "",
      scheme: described.scheme || "path",
      missing: described.missing || "casewise",
      weights: described.weights || null,
      dont_know: described.dont_know || [],
    };
    (described.blocks || []).forEach(function (block) {
      const id = newId();
      ids.set(block.name, id);
      next.blocks.push({
        id: id,
        name: block.name,
        labels: Object.assign({}, block.labels || {}),
        mode: block.mode || "A",
        scale: block.scale ? block.scale.slice() : [null, null],
        dont_know: block.dont_know || [],
        items: (block.items || []).map((item) => Object.assign({}, item)),
      });
    });
    (described.paths || []).forEach(function (path) {
      next.paths.push({ id: newId(), from: ids.get(path[0]) || "", to: ids.get(path[1]) || "" });
    });
    next.target = ids.get(described.target) || "";
    return next;
  }

  function blockById(id) {
    return model.blocks.find((b) => b.id === id) || null;
  }

  function toDescription() {
    const nameOf = (id) => (blockById(id) ? blockById(id).name : "");
    return Object.assign({}, model.meta, {
      name: model.name,
      blocks: model.blocks.map(function (block) {
        const scale = block.scale[0] === null && block.scale[1] === null ? null : block.scale;
        return {
          name: block.name,
          labels: block.labels,
          mode: block.mode,
          scale: scale,
          dont_know: block.dont_know,
          items: block.items,
        };
      }),
      paths: model.paths.map((p) => [nameOf(p.from), nameOf(p.to)]),
      target: model.target ? nameOf(model.target) : null,
    });
  }

  function ownerOf(itemName) {
    return model.blocks.find((b) => b.items.some((i) => i.name === itemName)) || null;
  }

  function uniqueBlockName() {
    for (let n = model.blocks.length + 1; ; n++) {
      const name = t("newBlock", { n: n });
      if (!model.blocks.some((b) => b.name === name)) return name;
    }
  }

  function blockTitle(block) {
    const label = block.labels.zh || block.labels.en || "";
    return label && label !== block.name ? block.name + "（" + label + "）" : block.name;
  }

  // --- drawing ----------------------------------------------------------------------------
  function render() {
    const focus = focusKey();
    renderBlocks();
    renderPaths();
    renderTarget();
    renderDiagram();
    $("me-model-name").value = model.name;
    restoreFocus(focus);
  }

  // After a redraw the control that had the focus gets it back (found by its data-key).
  function focusKey() {
    const active = document.activeElement;
    if (!active || !root.contains(active) || !active.dataset.key) return null;
    const at = { key: active.dataset.key };
    if (typeof active.selectionStart === "number") {
      try {
        at.start = active.selectionStart;
        at.end = active.selectionEnd;
      } catch (error) {
        // number inputs have no selection
      }
    }
    return at;
  }

  function restoreFocus(at) {
    if (!at) return;
    const target = root.querySelector('[data-key="' + CSS.escape(at.key) + '"]');
    if (!target || target === document.activeElement) return;
    target.focus();
    if (at.start !== undefined) {
      try {
        target.setSelectionRange(at.start, at.end);
      } catch (error) {
        // not a text input
      }
    }
  }

  function renderBlocks() {
    blocksList.replaceChildren();
    model.blocks.forEach(function (block) {
      const node = fromTemplate("me-block-template");
      node.dataset.block = block.id;
      const keyed = function (name, value) {
        const control = field(node, name);
        control.dataset.key = block.id + ":" + name;
        if (value !== undefined) control.value = value;
        return control;
      };
      keyed("name", block.name);
      keyed("label-zh", block.labels.zh || "");
      keyed("label-en", block.labels.en || "");
      keyed("mode", block.mode);
      keyed("scale-min", block.scale[0] === null ? "" : block.scale[0]);
      keyed("scale-max", block.scale[1] === null ? "" : block.scale[1]);
      const pick = node.querySelector('[data-action="pick"]');
      pick.dataset.key = block.id + ":pick";
      node.querySelector('[data-action="remove-block"]').dataset.key = block.id + ":remove";
      renderItems(node, block);
      const picker = node.querySelector('[data-part="picker"]');
      if (openPicker === block.id) {
        picker.hidden = false;
        pick.setAttribute("aria-expanded", "true");
        keyed("search", search);
        node.querySelector('[data-action="close-picker"]').dataset.key = block.id + ":close";
        renderOptions(node, block);
      }
      blocksList.appendChild(node);
    });
  }

  function renderItems(node, block) {
    const list = node.querySelector('[data-part="items"]');
    list.replaceChildren();
    slot(node, "count").textContent = block.items.length
      ? t("count", { n: block.items.length })
      : t("noItems");
    block.items.forEach(function (item) {
      const row = fromTemplate("me-item-template");
      row.dataset.item = item.name;
      slot(row, "name").textContent = item.name;
      const known = byName.get(item.name);
      const label = item.label || (known && known.label !== item.name ? known.label : "");
      slot(row, "label").textContent = label;
      slot(row, "absent").hidden = !columnsKnown || Boolean(known);
      const reverse = field(row, "reverse");
      reverse.checked = Boolean(item.reverse);
      reverse.dataset.key = block.id + ":reverse:" + item.name;
      const remove = row.querySelector('[data-action="remove-item"]');
      remove.dataset.key = block.id + ":remove:" + item.name;
      remove.setAttribute("aria-label", t("removeItem", { name: item.name }));
      list.appendChild(row);
    });
  }

  function matches() {
    const wanted = search.trim().toLowerCase();
    if (!wanted) return columns;
    return columns.filter(
      (c) =>
        c.name.toLowerCase().includes(wanted) || (c.label || "").toLowerCase().includes(wanted),
    );
  }

  function renderOptions(node, block) {
    const list = node.querySelector('[data-part="options"]');
    list.replaceChildren();
    const typed = search.trim();
    const found = matches();
    const option = function (name, label, note, chosen, key) {
      const row = fromTemplate("me-option-template");
      const button = row.querySelector("button");
      button.dataset.name = name;
      button.dataset.key = block.id + ":option:" + key;
      button.setAttribute("aria-pressed", chosen ? "true" : "false");
      slot(row, "name").textContent = name;
      slot(row, "label").textContent = label && label !== name ? label : "";
      if (note) {
        slot(row, "note").textContent = note;
        slot(row, "note").hidden = false;
        if (!chosen) button.classList.add("me-used");
      }
      list.appendChild(row);
    };
    found.slice(0, MAX_OPTIONS).forEach(function (column) {
      const owner = ownerOf(column.name);
      const chosen = owner === block;
      const note = chosen ? t("chosen") : owner ? t("inBlock", { name: owner.name }) : "";
      option(column.name, column.label, note, chosen, column.name);
    });
    // A name typed by hand (an upload's columns are not known yet): after the matches, so
    // Enter takes the first match when there is one.
    if (typed && !byName.has(typed) && !block.items.some((i) => i.name === typed)) {
      const owner = ownerOf(typed);
      const note = owner ? t("inBlock", { name: owner.name }) : "";
      option(typed, t("addTyped", { name: typed }), note, false, "typed");
      list.lastElementChild.querySelector("button").classList.add("me-typed");
      slot(list.lastElementChild, "name").textContent = "";
    }
    let note = "";
    if (found.length > MAX_OPTIONS) note = t("more", { n: found.length - MAX_OPTIONS });
    else if (!found.length && columnsKnown) note = t("noMatch");
    else if (columns.length) note = t("pickerHint");
    slot(node, "picker-note").textContent = note;
  }

  function blockOptions(select, chosen, empty) {
    select.replaceChildren();
    const none = document.createElement("option");
    none.value = "";
    none.textContent = empty;
    select.appendChild(none);
    model.blocks.forEach(function (block) {
      const option = document.createElement("option");
      option.value = block.id;
      option.textContent = blockTitle(block) || "?";
      select.appendChild(option);
    });
    select.value = blockById(chosen) ? chosen : "";
  }

  function renderPaths() {
    const focus = focusKey();
    pathsList.replaceChildren();
    model.paths.forEach(function (path) {
      const node = fromTemplate("me-path-template");
      node.dataset.path = path.id;
      const from = field(node, "from");
      const to = field(node, "to");
      blockOptions(from, path.from, t("choose"));
      blockOptions(to, path.to, t("choose"));
      from.dataset.key = path.id + ":from";
      to.dataset.key = path.id + ":to";
      const remove = node.querySelector('[data-action="remove-path"]');
      remove.dataset.key = path.id + ":remove";
      const names = [path.from, path.to].map((id) => (blockById(id) ? blockById(id).name : "?"));
      remove.setAttribute("aria-label", t("removePath", { from: names[0], to: names[1] }));
      pathsList.appendChild(node);
    });
    $("me-no-paths").hidden = model.paths.length > 0;
    restoreFocus(focus);
  }

  function renderTarget() {
    blockOptions(targetSelect, model.target, t("noTarget"));
  }

  // A small diagram: blocks in columns by how far down the paths they sit, arrows between.
  const SVG = "http://www.w3.org/2000/svg";
  function svg(name, attributes, parent) {
    const node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach((key) => node.setAttribute(key, attributes[key]));
    if (parent) parent.appendChild(node);
    return node;
  }

  function layers() {
    const ids = model.blocks.map((b) => b.id);
    const edges = model.paths.filter(
      (p) => p.from && p.to && p.from !== p.to && blockById(p.from) && blockById(p.to),
    );
    const depth = new Map(ids.map((id) => [id, 0]));
    // Longest path from a source; a cycle stops after as many rounds as there are blocks.
    for (let round = 0; round < ids.length; round++) {
      let moved = false;
      edges.forEach(function (edge) {
        if (depth.get(edge.to) < depth.get(edge.from) + 1 && depth.get(edge.from) < ids.length) {
          depth.set(edge.to, depth.get(edge.from) + 1);
          moved = true;
        }
      });
      if (!moved) break;
    }
    return { depth: depth, edges: edges };
  }

  function shortLabel(block) {
    const text = block.labels.zh || block.name || "?";
    return text.length > 8 ? text.slice(0, 7) + "…" : text;
  }

  // Top to bottom: a row per step down the paths; a path to the next row is a short curve,
  // one that skips rows an arc beside them (right or left by turns), so none crosses a box.
  function renderDiagram() {
    const holder = $("me-diagram");
    holder.replaceChildren();
    if (!model.blocks.length) return;
    const { depth, edges } = layers();
    const rows = new Map();
    model.blocks.forEach(function (block) {
      const d = depth.get(block.id);
      if (!rows.has(d)) rows.set(d, []);
      rows.get(d).push(block);
    });
    const W = 112, H = 34, GAP_X = 16, GAP_Y = 26, ARC = 14;
    const deepest = Math.max.apply(null, Array.from(rows.keys()));
    const widest = Math.max.apply(null, Array.from(rows.values(), (r) => r.length));
    const span = (edge) => depth.get(edge.to) - depth.get(edge.from);
    const far = edges.filter((e) => span(e) !== 1);
    const side = new Map(far.map((e, n) => [e.id, n % 2 ? -1 : 1]));
    const reach = (direction) => {
      const spans = far.filter((e) => side.get(e.id) === direction).map((e) => Math.abs(span(e)));
      return Math.max(0, ...spans) * ARC;
    };
    const left = 8 + reach(-1), right = 8 + reach(1);
    const inner = widest * W + (widest - 1) * GAP_X;
    const width = left + inner + right;
    const height = 16 + (deepest + 1) * H + deepest * GAP_Y;
    const place = new Map();
    rows.forEach(function (blocks, d) {
      const offset = left + (inner - (blocks.length * W + (blocks.length - 1) * GAP_X)) / 2;
      blocks.forEach(function (block, n) {
        place.set(block.id, { x: offset + n * (W + GAP_X), y: 8 + d * (H + GAP_Y) });
      });
    });
    const drawing = svg("svg", {
      viewBox: "0 0 " + width + " " + height,
      width: width,
      height: height,
      role: "img",
      "aria-label": t("diagram"),
    });
    const defs = svg("defs", {}, drawing);
    const marker = svg(
      "marker",
      {
        id: "me-arrowhead",
        viewBox: "0 0 10 10",
        refX: "9",
        refY: "5",
        markerWidth: "7",
        markerHeight: "7",
        orient: "auto-start-reverse",
      },
      defs,
    );
    svg("path", { d: "M0,0 L10,5 L0,10 z", class: "me-arrowhead" }, marker);
    edges.forEach(function (edge) {
      const a = place.get(edge.from), b = place.get(edge.to);
      let d;
      if (!side.has(edge.id)) {
        const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y - 2;
        const mid = (y1 + y2) / 2;
        d = `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}`;
      } else {
        const direction = side.get(edge.id);
        const bend = Math.max(1, Math.abs(span(edge))) * ARC;
        const x1 = direction > 0 ? a.x + W : a.x, x2 = direction > 0 ? b.x + W + 2 : b.x - 2;
        const y1 = a.y + H / 2, y2 = b.y + H / 2;
        // beyond every box of the rows it passes
        const outer = direction > 0 ? left + inner + bend - 4 : left - bend + 4;
        d = `M${x1},${y1} C${outer},${y1} ${outer},${y2} ${x2},${y2}`;
      }
      svg("path", { d: d, class: "me-edge", "marker-end": "url(#me-arrowhead)" }, drawing);
    });
    model.blocks.forEach(function (block) {
      const at = place.get(block.id);
      const group = svg(
        "g",
        { class: "me-node" + (block.id === model.target ? " me-node-target" : "") },
        drawing,
      );
      svg("rect", { x: at.x, y: at.y, width: W, height: H, rx: 6 }, group);
      const label = svg("text", { x: at.x + W / 2, y: at.y + H / 2 + 1 }, group);
      label.textContent = shortLabel(block);
      const title = svg("title", {}, group);
      title.textContent = blockTitle(block);
    });
    holder.appendChild(drawing);
  }

  // What changes when a block's name or label changes, without redrawing the block itself
  // (that would interrupt typing, and the composition of Chinese input).
  function renderNames() {
    renderPaths();
    renderTarget();
    renderDiagram();
    const open = openPicker && blocksList.querySelector('[data-block="' + openPicker + '"]');
    if (open) renderOptions(open, blockById(openPicker));
  }

  // --- the mode: the editor or the YAML text -----------------------------------------------
  let mode = "visual";
  function setMode(next, remember) {
    mode = next;
    $("me-visual").hidden = mode !== "visual";
    textarea.hidden = mode === "visual";
    if (yamlLabel) yamlLabel.hidden = mode === "visual";
    root.querySelectorAll("[data-mode]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.mode === mode ? "true" : "false");
    });
    if (remember) {
      try {
        window.localStorage.setItem(MODE_KEY, mode);
      } catch (error) {
        // private browsing: the choice is not kept
      }
    }
    showProblems(lastErrors);
  }

  // --- checking -------------------------------------------------------------------------
  const csrf = form ? form.querySelector("input[name=csrfmiddlewaretoken]") : null;
  async function post(body) {
    const response = await fetch(root.dataset.checkUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrf ? csrf.value : "",
        Accept: "application/json",
      },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok && !answer.errors) throw new Error(String(response.status));
    return answer;
  }

  let stale = false; // the YAML text does not parse: the editor shows an older model
  let edited = false; // the editor changed since its YAML was last written
  let timer = null;
  let asked = 0; // the latest question put to the server (older answers are dropped)
  let inFlight = null;
  let lastErrors = [];
  let lastVerdict = "";
  let yamlHeld = true; // whether the YAML text holds the editor's model

  function changed() {
    edited = true;
    yamlHeld = false;
    renderDiagram();
    window.clearTimeout(timer);
    timer = window.setTimeout(checkEditor, CHECK_DELAY);
  }

  function checkEditor() {
    window.clearTimeout(timer);
    timer = null;
    const question = ++asked;
    const sent = JSON.stringify(toDescription());
    setVerdict(t("checking"), "me-busy");
    inFlight = post({ model: JSON.parse(sent) })
      .then(function (answer) {
        if (question !== asked) return;
        if (answer.yaml !== null && answer.yaml !== undefined) {
          if (JSON.stringify(toDescription()) === sent) {
            textarea.value = answer.yaml;
            edited = false;
            yamlHeld = true;
          }
        }
        showAnswer(answer, answer.yaml === null ? [{ message: t("notWritten") }] : []);
      })
      .catch(function () {
        if (question === asked) setVerdict(t("unreachable"), "me-bad");
      })
      .finally(function () {
        if (question === asked) inFlight = null;
      });
    return inFlight;
  }

  function readYaml(text, fromTemplateChoice) {
    const question = ++asked;
    window.clearTimeout(timer);
    setVerdict(t("checking"), "me-busy");
    inFlight = post({ yaml: text })
      .then(function (answer) {
        if (question !== asked) return;
        if (!fromTemplateChoice && textarea.value !== text) return;
        if (answer.ok && answer.model) {
          model = fromDescription(answer.model);
          openPicker = null;
          stale = false;
          edited = false;
          yamlHeld = true;
          render();
        } else {
          stale = true;
          yamlHeld = !edited;
        }
        showStale();
        showAnswer(answer, []);
      })
      .catch(function () {
        if (question === asked) setVerdict(t("unreachable"), "me-bad");
      })
      .finally(function () {
        if (question === asked) inFlight = null;
      });
    return inFlight;
  }

  function showStale() {
    $("me-stale").hidden = !stale;
    controls.disabled = stale; // the problem itself is listed below, with the others
  }

  function setVerdict(text, kind) {
    const verdict = $("me-verdict");
    verdict.textContent = text;
    verdict.className = "me-verdict " + (kind || "");
    lastVerdict = text;
  }

  function showAnswer(answer, extra) {
    lastErrors = (answer.errors || []).concat(extra);
    if (answer.ok && !extra.length) {
      setVerdict(mode === "yaml" || stale ? t("yamlOk") : t("ok"), "me-good");
    } else {
      setVerdict(t("bad"), "me-bad");
    }
    showProblems(lastErrors);
  }

  function fill(list, errors) {
    list.replaceChildren();
    errors.forEach(function (error) {
      const item = document.createElement("li");
      item.textContent = error.message;
      list.appendChild(item);
    });
    list.hidden = errors.length === 0;
  }

  // Each problem beside what to fix: its block, its path, the target; the rest below.
  function showProblems(errors) {
    const general = [];
    const byBlock = new Map(), byPath = new Map(), target = [];
    const beside = mode === "visual" && !stale;
    errors.forEach(function (error) {
      const block = beside && typeof error.block === "number" && model.blocks[error.block];
      const path = beside && typeof error.path === "number" && model.paths[error.path];
      if (block) {
        if (!byBlock.has(block.id)) byBlock.set(block.id, []);
        byBlock.get(block.id).push(error);
      } else if (path) {
        if (!byPath.has(path.id)) byPath.set(path.id, []);
        byPath.get(path.id).push(error);
      } else if (beside && error.field === "target") {
        target.push(error);
      } else {
        general.push(error);
      }
    });
    blocksList.querySelectorAll(".me-block").forEach(function (node) {
      const own = byBlock.get(node.dataset.block) || [];
      fill(node.querySelector('[data-part="problems"]'), own);
      node.classList.toggle("me-has-problem", own.length > 0);
    });
    pathsList.querySelectorAll(".me-path").forEach(function (node) {
      const own = byPath.get(node.dataset.path) || [];
      fill(node.querySelector('[data-part="problems"]'), own);
      node.classList.toggle("me-has-problem", own.length > 0);
    });
    fill($("me-target-problems"), target);
    // An unreadable YAML text is said in the notice at the top of the editor.
    const notice = stale && mode === "visual";
    fill($("me-stale-problems"), notice ? general : []);
    fill($("me-problems"), notice ? [] : general);
    if (errors.length && (!general.length || notice)) setVerdict(t("badMarked"), "me-bad");
    else if (errors.length) setVerdict(t("bad"), "me-bad");
  }

  // --- the data's columns ----------------------------------------------------------------
  const sourceLine = $("me-source");
  let columnsAsked = 0;

  function setColumns(found, known, message) {
    columns = found;
    columnsKnown = known;
    byName = new Map(found.map((c) => [c.name, c]));
    sourceLine.textContent = message;
    render();
    showProblems(lastErrors);
  }

  function chosenSource() {
    const radio = document.querySelector('input[name="source"]:checked');
    if (radio) return radio.value;
    const dataset = $("id_dataset");
    return dataset && dataset.value ? "dataset" : "upload";
  }

  async function loadColumns() {
    const question = ++columnsAsked;
    const source = chosenSource();
    let query = "";
    if (source === "survey" && $("id_questionnaire") && $("id_questionnaire").value) {
      query = "questionnaire=" + encodeURIComponent($("id_questionnaire").value);
      const version = $("id_version");
      if (version && version.value) query += "&version=" + encodeURIComponent(version.value);
    } else if (source === "dataset" && $("id_dataset") && $("id_dataset").value) {
      query = "dataset=" + encodeURIComponent($("id_dataset").value);
    } else if (source === "upload") {
      const file = $("id_file") && $("id_file").files && $("id_file").files[0];
      if (!file) return setColumns([], false, t("sourceNone"));
      const header = /\.csv$/i.test(file.name) ? await csvHeader(file) : [];
      if (question !== columnsAsked) return;
      if (!header.length) return setColumns([], false, t("sourceUnknown"));
      return setColumns(
        header.map((name) => ({ name: name, label: name, scale: null })),
        true,
        t("sourceFile", { n: header.length }),
      );
    }
    if (!query) return setColumns([], false, t("sourceNone"));
    sourceLine.textContent = t("sourceLoading");
    try {
      const response = await fetch(root.dataset.columnsUrl + "?" + query, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const answer = await response.json();
      if (question !== columnsAsked) return;
      if (!response.ok) {
        const error = (answer.errors || []).map((e) => e.message).join(" ");
        return setColumns([], false, t("sourceError", { error: error || response.status }));
      }
      const kind = source === "survey" ? "sourceSurvey" : "sourceDataset";
      setColumns(answer.columns, true, t(kind, { n: answer.columns.length }));
    } catch (error) {
      if (question === columnsAsked) setColumns([], false, t("sourceError", { error: "" }));
    }
  }

  // The first row of a CSV file (UTF-8, else GB18030 as Excel in China saves it).
  async function csvHeader(file) {
    const bytes = await file.slice(0, 65536).arrayBuffer();
    let text;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (error) {
      try {
        text = new TextDecoder("gb18030").decode(bytes);
      } catch (unsupported) {
        return [];
      }
    }
    const line = text.replace(/^\uFEFF/, "").split(/\r?\n/)[0] || "";
    const cells = [];
    let cell = "", quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === "," || c === ";" || c === "\t") {
        cells.push(cell);
        cell = "";
      } else cell += c;
    }
    cells.push(cell);
    return cells.map((c) => c.trim()).filter(Boolean);
  }

  // --- what the person does ------------------------------------------------------------------
  function blockOf(element) {
    const node = element.closest(".me-block");
    return node ? blockById(node.dataset.block) : null;
  }

  function togglePicker(block) {
    openPicker = openPicker === block.id ? null : block.id;
    search = "";
    render();
    const node = blocksList.querySelector('[data-block="' + block.id + '"]');
    if (openPicker) field(node, "search").focus();
    else node.querySelector('[data-action="pick"]').focus();
  }

  function toggleItem(block, name) {
    const here = block.items.findIndex((i) => i.name === name);
    if (here >= 0) {
      block.items.splice(here, 1);
    } else {
      const owner = ownerOf(name);
      let item = { name: name };
      if (owner) {
        const at = owner.items.findIndex((i) => i.name === name);
        item = owner.items.splice(at, 1)[0];
      }
      block.items.push(item);
      const known = byName.get(name);
      if (known && known.scale && block.scale[0] === null && block.scale[1] === null) {
        block.scale = known.scale.slice(); // a questionnaire says the scale
      }
    }
  }

  root.addEventListener("click", function (event) {
    const button = event.target.closest("button");
    if (!button || !root.contains(button)) return;
    if (button.dataset.mode) {
      setMode(button.dataset.mode, true);
      return;
    }
    const block = blockOf(button);
    switch (button.dataset.action || button.id) {
      case "me-add-block": {
        const fresh = {
          id: newId(),
          name: uniqueBlockName(),
          labels: {},
          mode: "A",
          scale: [null, null],
          dont_know: [],
          items: [],
        };
        model.blocks.push(fresh);
        openPicker = fresh.id;
        search = "";
        render();
        changed();
        field(blocksList.lastElementChild, "name").select();
        break;
      }
      case "remove-block": {
        const at = model.blocks.indexOf(block);
        model.blocks.splice(at, 1);
        model.paths = model.paths.filter((p) => p.from !== block.id && p.to !== block.id);
        if (model.target === block.id) model.target = "";
        if (openPicker === block.id) openPicker = null;
        render();
        changed();
        const previous = blocksList.children[Math.max(0, at - 1)];
        (previous ? field(previous, "name") : $("me-add-block")).focus();
        break;
      }
      case "pick":
        togglePicker(block);
        break;
      case "close-picker":
        togglePicker(block);
        break;
      case "toggle-item":
        toggleItem(block, button.dataset.name);
        if (button.classList.contains("me-typed")) search = "";
        render();
        changed();
        if (!root.contains(document.activeElement) || document.activeElement === document.body) {
          field(blocksList.querySelector('[data-block="' + block.id + '"]'), "search").focus();
        }
        break;
      case "remove-item": {
        const row = button.closest(".me-item");
        const next = row.nextElementSibling || row.previousElementSibling;
        const nextKey = next ? next.querySelector('[data-action="remove-item"]').dataset.key : null;
        toggleItem(block, row.dataset.item);
        render();
        changed();
        const again = nextKey && root.querySelector('[data-key="' + CSS.escape(nextKey) + '"]');
        const pickKey = CSS.escape(block.id + ":pick");
        (again || root.querySelector('[data-key="' + pickKey + '"]')).focus();
        break;
      }
      case "me-add-path": {
        const fresh = { id: newId(), from: "", to: "" };
        model.paths.push(fresh);
        renderPaths();
        changed();
        field(pathsList.lastElementChild, "from").focus();
        break;
      }
      case "remove-path": {
        const id = button.closest(".me-path").dataset.path;
        const at = model.paths.findIndex((p) => p.id === id);
        model.paths.splice(at, 1);
        renderPaths();
        changed();
        const next = pathsList.children[Math.min(at, pathsList.children.length - 1)];
        (next ? next.querySelector('[data-action="remove-path"]') : $("me-add-path")).focus();
        break;
      }
      case "me-overwrite":
        stale = false;
        showStale();
        changed();
        $("me-add-block").focus();
        break;
    }
  });

  function number(value) {
    if (value === "" || value === null) return null;
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }

  root.addEventListener("input", function (event) {
    const control = event.target;
    if (control.id === "me-model-name") {
      model.name = control.value;
      changed();
      return;
    }
    const block = blockOf(control);
    if (!block) return;
    switch (control.dataset.field) {
      case "name":
        block.name = control.value;
        renderNames();
        break;
      case "label-zh":
      case "label-en": {
        const language = control.dataset.field.slice(-2);
        const other = language === "zh" ? "en" : "zh";
        // One text for both languages (`label: 质量`) changes as one.
        if (block.labels[other] === block.labels[language] && block.labels[other]) {
          block.labels[other] = control.value;
          const twin = field(control.closest(".me-block"), "label-" + other);
          if (twin) twin.value = control.value;
        }
        block.labels[language] = control.value;
        if (!control.value) delete block.labels[language];
        renderNames();
        break;
      }
      case "scale-min":
        block.scale = [number(control.value), block.scale[1]];
        break;
      case "scale-max":
        block.scale = [block.scale[0], number(control.value)];
        break;
      case "search": {
        search = control.value;
        renderOptions(control.closest(".me-block"), block);
        return; // nothing of the model changed
      }
      default:
        return;
    }
    changed();
  });

  root.addEventListener("change", function (event) {
    const control = event.target;
    if (control === targetSelect) {
      model.target = control.value;
      changed();
      return;
    }
    const path = control.closest(".me-path");
    if (path) {
      const entry = model.paths.find((p) => p.id === path.dataset.path);
      entry[control.dataset.field] = control.value;
      renderPaths();
      changed();
      return;
    }
    const block = blockOf(control);
    if (!block) return;
    if (control.dataset.field === "mode") {
      block.mode = control.value;
      changed();
    } else if (control.dataset.field === "reverse") {
      const item = block.items.find((i) => i.name === control.closest(".me-item").dataset.item);
      if (control.checked) item.reverse = true;
      else delete item.reverse;
      changed();
    }
  });

  // Keys: Enter never sends the form from here; in the picker, Enter takes the first
  // choice, the arrows move through the choices and Escape closes it.
  root.addEventListener("keydown", function (event) {
    const control = event.target;
    const picker = control.closest('[data-part="picker"]');
    if (event.key === "Enter" && control.tagName === "INPUT") {
      event.preventDefault();
      if (control.dataset.field === "search") {
        const first = picker.querySelector(".me-option");
        if (first) first.click();
      }
      return;
    }
    if (!picker) return;
    const options = Array.from(picker.querySelectorAll(".me-option"));
    const at = options.indexOf(control);
    if (event.key === "Escape") {
      event.preventDefault();
      togglePicker(blockOf(control));
    } else if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      options[Math.min(at + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at === 0 ? field(picker, "search") : options[at - 1]).focus();
    }
  });

  // Typing in the YAML text: read it back into the editor where it parses.
  let yamlTimer = null;
  textarea.addEventListener("input", function () {
    window.clearTimeout(yamlTimer);
    yamlTimer = window.setTimeout(() => readYaml(textarea.value, false), CHECK_DELAY);
  });

  // Choosing a template: new.js puts its text into the field; the editor reads the same text.
  const templates = $("id_template");
  if (templates) {
    templates.addEventListener("change", async function () {
      const name = templates.value;
      if (!name) return;
      window.clearTimeout(timer); // an edit not yet checked must not overwrite the template
      timer = null;
      asked++;
      const response = await fetch(templates.getAttribute("data-templates") + name + ".yaml");
      if (response.ok) readYaml(await response.text(), true);
    });
  }

  // The data chosen above decides which items the picker offers.
  document.querySelectorAll('input[name="source"]').forEach(function (radio) {
    radio.addEventListener("change", loadColumns);
  });
  ["id_questionnaire", "id_version", "id_dataset", "id_file"].forEach(function (id) {
    const control = $(id);
    if (control) control.addEventListener("change", loadColumns);
  });

  // Sending the form waits for the last check, so the YAML sent is the model shown.
  let sending = false;
  if (form) {
    form.addEventListener("submit", async function (event) {
      if (sending || mode !== "visual" || (!edited && !inFlight && !timer)) return;
      event.preventDefault();
      const submitter = event.submitter;
      if (timer || edited) await checkEditor();
      else await inFlight;
      if (!yamlHeld) {
        setVerdict(t("fixFirst"), "me-bad");
        $("me-status").scrollIntoView({ block: "center" });
        return;
      }
      sending = true;
      if (form.requestSubmit) form.requestSubmit(submitter || undefined);
      else form.submit();
    });
  }

  // Start: read the text the page came with.
  root.hidden = false;
  let remembered = null;
  try {
    remembered = window.localStorage.getItem(MODE_KEY);
  } catch (error) {
    remembered = null;
  }
  setMode(remembered === "yaml" ? "yaml" : "visual", false);
  render();
  readYaml(textarea.value, true).then(function () {
    if (stale && mode === "visual" && remembered !== "visual") setMode("yaml", false);
  });
  loadColumns();
})();
