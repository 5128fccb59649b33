/* The XLSForm expression language in the browser: the same rules as
   manyi/analytics/formlogic.py (the server's, which has the final word), so the page
   shows and checks questions as the server will judge them. Answers are strings. */
(function (global) {
  "use strict";

  class ExpressionError extends Error {}

  function Node(value) { this.value = value; }

  const NUMBER = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;
  const DATE = /^\s*(\d{4})-(\d{2})-(\d{2})\s*$/;
  const INTEGER = /^\s*[+-]?\d+\s*$/;

  function formatNumber(n) {
    if (Number.isNaN(n)) return "NaN";
    if (n === Infinity) return "Infinity";
    if (n === -Infinity) return "-Infinity";
    if (n === 0) return "0";
    const text = String(n);
    if (!/e/i.test(text)) return text;
    const [mantissa, exponent] = text.toLowerCase().split("e");
    const sign = mantissa.startsWith("-") ? "-" : "";
    const digits = mantissa.replace("-", "").replace(".", "");
    const point = mantissa.replace("-", "").indexOf(".");
    const intLength = (point === -1 ? mantissa.replace("-", "").length : point) + Number(exponent);
    if (intLength <= 0) return sign + "0." + "0".repeat(-intLength) + digits;
    if (intLength >= digits.length) return sign + digits + "0".repeat(intLength - digits.length);
    return sign + digits.slice(0, intLength) + "." + digits.slice(intLength);
  }

  function toString(v) {
    if (v instanceof Node) return v.value;
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") return formatNumber(v);
    return v;
  }

  function toNumber(v) {
    if (typeof v === "boolean") return v ? 1 : 0;
    if (typeof v === "number") return v;
    const text = toString(v);
    if (NUMBER.test(text)) return parseFloat(text.trim());
    const d = DATE.exec(text);
    if (d) {
      const day = Date.UTC(+d[1], +d[2] - 1, +d[3]);
      const back = new Date(day);
      if (back.getUTCMonth() !== +d[2] - 1 || back.getUTCDate() !== +d[3]) return NaN;
      return day / 86400000;
    }
    return NaN;
  }

  function toBoolean(v) {
    if (v instanceof Node) return true;
    if (typeof v === "boolean") return v;
    if (typeof v === "number") return !(v === 0 || Number.isNaN(v));
    return v !== "";
  }

  // -- reading --
  const TOKEN = /\s*(?:(\$\{[^}]*\})|(\d+(?:\.\d*)?|\.\d+)|('[^']*'|"[^"]*")|(<=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)|(\.)|([A-Za-z_][A-Za-z0-9_.:-]*))/y;

  function tokens(expression) {
    const found = [];
    TOKEN.lastIndex = 0;
    let position = 0;
    while (position < expression.length) {
      if (expression.slice(position).trim() === "") break;
      TOKEN.lastIndex = position;
      const m = TOKEN.exec(expression);
      if (!m || TOKEN.lastIndex === position) {
        throw new ExpressionError("cannot read “" + expression.slice(position).trim().slice(0, 10) + "”");
      }
      if (m[1]) found.push({ kind: "ref", text: m[1].slice(2, -1).trim() });
      else if (m[2]) found.push({ kind: "number", text: m[2] });
      else if (m[3]) found.push({ kind: "string", text: m[3] });
      else if (m[4]) found.push({ kind: "op", text: m[4] });
      else if (m[5]) found.push({ kind: "dot", text: "." });
      else found.push({ kind: "word", text: m[6] });
      position = TOKEN.lastIndex;
    }
    return found;
  }

  const BINARY = { or: 1, and: 2, "=": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5, "*": 6, div: 6, mod: 6 };

  function parse(expression) {
    const list = tokens(expression);
    let i = 0;
    const peek = () => list[i];
    const take = () => { if (i >= list.length) throw new ExpressionError("the expression ends too early"); return list[i++]; };
    const operator = () => {
      const t = peek();
      if (!t) return null;
      if (t.kind === "op" && t.text in BINARY) return t.text;
      if (t.kind === "word" && ["or", "and", "div", "mod"].includes(t.text)) return t.text;
      return null;
    };
    function binary(minimum) {
      let left = unary();
      for (;;) {
        const op = operator();
        if (op === null || BINARY[op] < minimum) return left;
        take();
        left = ["op", op, left, binary(BINARY[op] + 1)];
      }
    }
    function unary() {
      const t = peek();
      if (t && t.kind === "op" && t.text === "-") { take(); return ["neg", unary()]; }
      return primary();
    }
    function primary() {
      const t = take();
      if (t.kind === "number") return ["num", parseFloat(t.text)];
      if (t.kind === "string") return ["str", t.text.slice(1, -1)];
      if (t.kind === "ref") return ["ref", t.text];
      if (t.kind === "dot") return ["dot"];
      if (t.kind === "op" && t.text === "(") {
        const inner = binary(1);
        if (take().text !== ")") throw new ExpressionError("expected “)”");
        return inner;
      }
      if (t.kind === "word" && peek() && peek().text === "(") {
        take();
        const args = [];
        if (peek() && peek().text === ")") take();
        else for (;;) {
          args.push(binary(1));
          const sep = take();
          if (sep.text === ")") break;
          if (sep.text !== ",") throw new ExpressionError("expected “,” or “)”");
        }
        if (!(t.text in FUNCTIONS)) throw new ExpressionError("the function " + t.text + "() is not supported");
        return ["call", t.text, args];
      }
      throw new ExpressionError("unexpected “" + t.text + "”");
    }
    if (!list.length) throw new ExpressionError("the expression is empty");
    const tree = binary(1);
    if (i < list.length) throw new ExpressionError("unexpected “" + list[i].text + "”");
    return tree;
  }

  const cache = new Map();
  function parsed(expression) {
    if (!cache.has(expression)) cache.set(expression, parse(expression));
    return cache.get(expression);
  }

  // -- running --
  function run(tree, ctx) {
    switch (tree[0]) {
      case "num": case "str": return tree[1];
      case "ref":
        if (!(tree[1] in ctx.answers)) throw new ExpressionError("${" + tree[1] + "} is not a question of this form");
        return new Node(ctx.answers[tree[1]] || "");
      case "dot": return new Node(ctx.current == null ? "" : (ctx.answers[ctx.current] || ""));
      case "neg": return -toNumber(run(tree[1], ctx));
      case "op": return operate(tree[1], tree[2], tree[3], ctx);
      default: return FUNCTIONS[tree[1]](ctx, tree[2]);
    }
  }

  function atomsEqual(a, b) {
    if (typeof a === "boolean" || typeof b === "boolean") return toBoolean(a) === toBoolean(b);
    if (typeof a === "number" || typeof b === "number") return toNumber(a) === toNumber(b);
    return toString(a) === toString(b);
  }

  function nodeCompare(a, b, equal) {
    const node = a instanceof Node ? a : b;
    const other = a instanceof Node ? b : a;
    let same;
    if (typeof other === "boolean") same = toBoolean(node) === other;
    else if (typeof other === "number") { const n = toNumber(node.value); same = n === other; if (!equal) return n !== other; }
    else same = node.value === toString(other);
    return equal ? same : !same;
  }

  function operate(op, l, r, ctx) {
    if (op === "or") return toBoolean(run(l, ctx)) || toBoolean(run(r, ctx));
    if (op === "and") return toBoolean(run(l, ctx)) && toBoolean(run(r, ctx));
    const a = run(l, ctx), b = run(r, ctx);
    if (op === "=" || op === "!=") {
      if (a instanceof Node || b instanceof Node) return nodeCompare(a, b, op === "=");
      return op === "=" ? atomsEqual(a, b) : !atomsEqual(a, b);
    }
    const x = toNumber(a), y = toNumber(b);
    switch (op) {
      case "<": return x < y;
      case "<=": return x <= y;
      case ">": return x > y;
      case ">=": return x >= y;
      case "+": return x + y;
      case "-": return x - y;
      case "*": return x * y;
      case "div": return x / y;
      default: return y === 0 || !Number.isFinite(x) || Number.isNaN(y) ? NaN : x % y;
    }
  }

  const eager = (f) => (ctx, args) => f(...args.map((a) => run(a, ctx)));
  function roundHalfAway(v, digits) {
    const n = toNumber(v), p = digits === undefined ? 0 : toNumber(digits);
    if (!Number.isFinite(n) || Number.isNaN(p)) return n;
    const scale = Math.pow(10, Math.trunc(p));
    return Math.sign(n) * Math.floor(Math.abs(n) * scale + 0.5) / scale;
  }
  function selectedAt(list, index) {
    const n = toNumber(index);
    if (!Number.isNaN(n) && (!Number.isFinite(n) || n < 0)) return "";
    const items = toString(list).split(/\s+/).filter(Boolean);
    const position = Number.isNaN(n) ? 0 : Math.trunc(n);
    return position < items.length ? items[position] : "";
  }
  const FUNCTIONS = {
    "if": (ctx, a) => run(toBoolean(run(a[0], ctx)) ? a[1] : a[2], ctx),
    "selected": eager((list, v) => toString(list).split(/\s+/).filter(Boolean).includes(toString(v).trim())),
    "selected-at": eager(selectedAt),
    "count-selected": eager((v) => toString(v).split(/\s+/).filter(Boolean).length),
    "coalesce": (ctx, a) => { const first = toString(run(a[0], ctx)); return first !== "" ? first : toString(run(a[1], ctx)); },
    "string-length": (ctx, a) => toString(a.length ? run(a[0], ctx) : run(["dot"], ctx)).length,
    "regex": eager((s, p) => new RegExp("^(?:" + toString(p) + ")$", "u").test(toString(s))),
    "not": eager((v) => !toBoolean(v)),
    "true": () => true,
    "false": () => false,
    "boolean": eager(toBoolean),
    "number": eager(toNumber),
    "string": eager(toString),
    "int": eager((v) => { const n = toNumber(v); return Number.isFinite(n) ? Math.trunc(n) : n; }),
    "round": eager(roundHalfAway),
    "concat": eager((...v) => v.map(toString).join("")),
    "contains": eager((a, b) => toString(a).includes(toString(b))),
    "starts-with": eager((a, b) => toString(a).startsWith(toString(b))),
    "ends-with": eager((a, b) => toString(a).endsWith(toString(b))),
    "substr": eager((s, start, end) => { const t = toString(s); const from = Math.trunc(toNumber(start)); return end === undefined ? t.slice(from) : t.slice(from, Math.trunc(toNumber(end))); }),
    "today": (ctx) => ctx.today || new Date().toISOString().slice(0, 10),
  };

  function evaluate(expression, answers, options) {
    const o = options || {};
    return run(parsed(expression), { answers: answers, current: o.current, today: o.today });
  }
  function holds(expression, answers, options) { return toBoolean(evaluate(expression, answers, options)); }

  /* As is_ranking on the server: all the choices, each exactly once (the same multiset). */
  function isRanking(value, choices) {
    const given = value.split(/\s+/).filter(Boolean).sort();
    const wanted = Array.from(choices).sort();
    return given.length === wanted.length && given.every((v, i) => v === wanted[i]);
  }

  function isRequired(rule, values, today) {
    const required = (rule.required || "").trim();
    if (!required || ["no", "false", "false()", "0"].includes(required.toLowerCase())) return false;
    if (["yes", "true", "true()", "1"].includes(required.toLowerCase())) return true;
    return holds(required, values, { current: rule.name, today: today });
  }

  function check(rule, values, today) {
    const value = (values[rule.name] || "").trim();
    if (value === "") return isRequired(rule, values, today) ? { code: "required" } : null;
    if (rule.kind === "integer" && !INTEGER.test(value)) return { code: "integer" };
    if (rule.kind === "decimal" && !NUMBER.test(value)) return { code: "decimal" };
    if (rule.kind === "date" && Number.isNaN(toNumber(value))) return { code: "date" };
    if (rule.choices && rule.kind === "rank") {
      if (!isRanking(value, rule.choices)) return { code: "rank" };
    } else if (rule.choices) {
      const chosen = rule.kind === "select_multiple" ? value.split(/\s+/) : [value];
      if (chosen.some((c) => !rule.choices.includes(c))) return { code: "choice" };
    }
    if (rule.constraint && !holds(rule.constraint, values, { current: rule.name, today: today })) {
      return { code: "constraint", message: rule.constraint_message };
    }
    return null;
  }

  /* The same procedure as run_form on the server: relevance and calculations to a fixed
     point, then checks of every shown question. */
  function runForm(rules, answers, today) {
    const values = {}, relevant = {};
    rules.forEach((r) => { values[r.name] = answers[r.name] == null ? "" : String(answers[r.name]); relevant[r.name] = true; });
    for (let round = 0; round < rules.length + 2; round++) {
      let changed = false;
      for (const rule of rules) {
        const conditions = (rule.groups_relevant || []).concat(rule.relevant ? [rule.relevant] : []);
        const shown = conditions.every((e) => holds(e, values, { current: rule.name, today: today }));
        let value = values[rule.name];
        if (!shown) value = "";
        else if (rule.calculation) { value = toString(evaluate(rule.calculation, values, { today: today })); if (value === "NaN") value = ""; }
        if (shown !== relevant[rule.name] || value !== values[rule.name]) { relevant[rule.name] = shown; values[rule.name] = value; changed = true; }
      }
      if (!changed) break;
    }
    const problems = [];
    for (const rule of rules) {
      if (!relevant[rule.name] || rule.calculation) continue;
      const problem = check(rule, values, today);
      if (problem) problems.push(Object.assign({ name: rule.name }, problem));
    }
    return { values: values, relevant: relevant, problems: problems };
  }

  // -- choice order (the parameters randomize=true and seed=N) --
  /* "Other" and don't-know / not-applicable / refused codes stay at the end of a shuffled
     list, where respondents look for them. */
  const PINNED = new Set(["other", "none", "dk", "dont_know", "na", "not_applicable", "refused",
    "97", "98", "99", "997", "998", "999", "-97", "-98", "-99"]);

  function hash32(text) { // FNV-1a over UTF-16 code units
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193); }
    return h >>> 0;
  }

  function mulberry32(seed) { // a small seeded PRNG: the same seed, the same sequence
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /* The choices in the order one respondent sees them: shuffled (Fisher-Yates) by a PRNG
     seeded from `seedText`, so a reload or a resumed draft shows the same order and another
     respondent another one; pinned codes keep their order at the end. */
  function orderChoices(choices, seedText) {
    const free = choices.filter((c) => !PINNED.has(String(c.name).toLowerCase()));
    const pinned = choices.filter((c) => PINNED.has(String(c.name).toLowerCase()));
    const random = mulberry32(hash32(String(seedText)));
    for (let i = free.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [free[i], free[j]] = [free[j], free[i]];
    }
    return free.concat(pinned);
  }

  global.ManyiFormLogic = { evaluate, holds, runForm, isRanking, orderChoices, toString, formatNumber, ExpressionError };
})(window);
