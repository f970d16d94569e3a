// The automations pages' script (app.js runs beside it):
// - the six-step builder on /automations/new and /automations/{id}: fields filled from
//   the JSON the page embeds (the catalogue and the saved version), live template
//   previews, and Save Draft, Test Mode, Activate, Pause and Archive,
// - the automated texts form on /settings (quiet hours, the owner's mobile).
// Both call the JSON API with the session cookie. It is SameSite=Lax, so another site
// cannot make these calls for the owner, and the API needs no CSRF token.
(function () {
  "use strict";

  // Wait this long after the last keystroke before asking for a preview.
  const PREVIEW_DELAY_MS = 300;

  const ACTIONS = {
    send_sms: "Send a text",
    notify_owner: "Notify me",
    add_tag: "Add a tag to the client",
    remove_tag: "Remove a tag from the client",
    wait: "Wait",
    create_alert: "Create an alert",
  };
  const NEW_ACTION = {
    send_sms: { to: "client", template: "" },
    notify_owner: { title: "", template: "" },
    add_tag: { tag: "" },
    remove_tag: { tag: "" },
    wait: { minutes: 60 },
    create_alert: { severity: "info", title: "", template: "" },
  };
  const RECIPIENTS = { client: "the client", owner: "me (the owner)", sitter: "the assigned sitter" };
  const LANES = { front_desk: "Front desk number", sitter: "The assigned sitter's number", pool: "The client's pool number" };
  const SEVERITIES = { info: "Info", warning: "Warning", critical: "Critical" };
  const OPERATORS = {
    equals: "equals", not_equals: "does not equal", contains: "contains",
    not_contains: "does not contain", greater_than: "is more than", less_than: "is less than",
    is_empty: "is empty", is_not_empty: "is not empty", in: "is one of", has_tag: "has the tag",
  };
  // Which operators apply to which kind of field: the server's own rule, so the select
  // offers only what it will accept.
  const FITS = {
    text: ["equals", "not_equals", "contains", "not_contains", "in", "is_empty", "is_not_empty"],
    number: ["equals", "not_equals", "greater_than", "less_than", "in", "is_empty", "is_not_empty"],
    bool: ["equals", "not_equals", "is_empty", "is_not_empty"],
    date_time: ["equals", "not_equals", "greater_than", "less_than", "is_empty", "is_not_empty"],
    text_list: ["has_tag", "contains", "not_contains", "is_empty", "is_not_empty"],
    object: ["is_empty", "is_not_empty"],
  };
  const PLACEHOLDERS = {
    in: "dog_walk, drop_in", has_tag: "vip", number: "3", bool: "true or false",
    date_time: "2026-01-19T10:00:00-05:00", text: "a value",
  };
  const UNITS = [["days", 1440], ["hours", 60], ["minutes", 1]];

  // --- Small helpers -----------------------------------------------------------------

  let lastId = 0;
  const uid = (prefix) => `${prefix}-${++lastId}`;

  // An element: `text` sets its text, `on…` adds a listener, the rest are attributes
  // (false and null leave one out). Never innerHTML: texts are the owner's and events'.
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }

  function select(options, value, props) {
    const el = h("select", props, options.map(([v, label]) => h("option", { value: v, text: label })));
    el.value = value;
    return el;
  }

  function plural(n, word) {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  }

  function when(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d)) return "";
    const options = { dateStyle: "medium", timeStyle: "short" };
    const tz = document.body.dataset.tz;
    try {
      return d.toLocaleString([], tz ? { ...options, timeZone: tz } : options);
    } catch (_) {
      return d.toLocaleString([], options);
    }
  }

  function minutesText(minutes) {
    const [unit, size] = UNITS.find(([, s]) => minutes % s === 0) || ["minutes", 1];
    return plural(minutes / size, unit.slice(0, -1));
  }

  // Calls the JSON API: { ok, status, data }, where a failure's data has a message.
  async function api(method, url, body) {
    try {
      const res = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const data = await res.json().catch(() => null);
      if (res.status === 401) {
        return { ok: false, status: 401, data: { message: "You are logged out: log in again in another tab, then try again." } };
      }
      return { ok: res.ok, status: res.status, data: data || {} };
    } catch (_) {
      return { ok: false, status: 0, data: { message: "Switchboard could not be reached. Check your connection and try again." } };
    }
  }

  // A number of minutes typed as an amount and a unit.
  function duration(label, minutes, field, onChange) {
    const [unit, size] = UNITS.find(([, s]) => minutes > 0 && minutes % s === 0) || ["minutes", 1];
    const id = uid("duration");
    const amount = h("input", {
      type: "number", id, min: "1", step: "1", inputmode: "numeric", "data-field": field,
      value: minutes ? String(minutes / size) : "",
    });
    const units = select(UNITS.map(([u]) => [u, u]), unit, { "aria-label": `${label}: unit` });
    const emit = () => {
      const n = Number(amount.value);
      const factor = UNITS.find(([u]) => u === units.value)[1];
      onChange(amount.value === "" || isNaN(n) ? null : Math.round(n * factor));
    };
    amount.addEventListener("input", emit);
    units.addEventListener("change", emit);
    return h("div", { class: "duration" }, h("label", { for: id, text: label }), h("span", { class: "duration-inputs" }, amount, units));
  }

  // Where a field's error goes: next to its input, which points at it.
  function errorSlot(field, input) {
    const id = uid("error");
    if (input) input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
    return h("p", { class: "field-error", id, "data-error-for": field, hidden: true });
  }

  // "actions[1].template" → "Action 2, its text": how a problem is named in the summary.
  function fieldLabel(field) {
    const named = {
      name: "Name", description: "Description", lane: "Lane", frequencyCapHours: "Frequency cap",
      trigger: "Trigger", "trigger.cron": "Schedule", "trigger.offset_minutes": "Time before the start",
      conditions: "Conditions", "conditions.source": "Script", actions: "Actions", eventId: "Test event",
    };
    if (named[field]) return named[field];
    const m = /^(actions|conditions((?:\.groups\[\d+\])*)\.rows)\[(\d+)\](?:\.(\w+))?/.exec(field);
    if (!m) return /^conditions\.groups\[/.test(field) ? groupName(field) : field;
    const what = m[1] === "actions" ? "Action" : m[2] ? `${groupName(m[2])}, condition` : "Condition";
    const part = { template: "its text", title: "its title", tag: "its tag", minutes: "its wait", to: "its recipient",
      field: "its field", operator: "its operator", value: "its value" }[m[4]];
    return `${what} ${Number(m[3]) + 1}${part ? `, ${part}` : ""}`;
  }

  // "conditions.groups[0].groups[1]" → "Group 1.2".
  function groupName(path) {
    return `Group ${Array.from(path.matchAll(/groups\[(\d+)\]/g), (m) => Number(m[1]) + 1).join(".")}`;
  }

  // Which builder step shows a field.
  function stepOf(field) {
    if (/^(name|description|lane|frequencyCapHours)\b/.test(field)) return 1;
    if (field.startsWith("trigger")) return 2;
    if (field.startsWith("conditions")) return 3;
    if (/^actions\[\d+\]\.(template|title)$/.test(field)) return 5;
    if (field.startsWith("actions")) return 4;
    return 6;
  }

  // "actions[1].template" → "actions[1]" → "actions" → "".
  function parentField(field) {
    const parent = field.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
    return parent === field ? "" : parent;
  }

  function textOf(value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value)) return value.join(", ");
    return String(value);
  }

  // --- The builder ---------------------------------------------------------------------

  function builder(root, boot) {
    const catalog = boot.catalog;
    const triggers = new Map(catalog.triggers.map((t) => [t.event, t]));
    const takesValue = new Map(catalog.operators.map((o) => [o.name, o.takesValue]));
    let automation = boot.automation;
    const program = automation ? automation.version.program : {
      trigger: { event: catalog.triggers[0].event },
      conditions: { type: "builder", match: "all", rows: [] },
      actions: [{ type: "send_sms", ...NEW_ACTION.send_sms }],
    };
    const cond = program.conditions || { type: "builder" };
    // Rows are edited with their value as typed; a group's own groups (written through
    // the API, deeper than the builder shows) are kept as they came and saved back as is.
    const editRow = (r) => ({ field: r.field, operator: r.operator, value: textOf(r.value) });
    const editGroup = (g) => ({ match: g.match || "all", rows: (g.rows || []).map(editRow), groups: g.groups || [] });
    const st = {
      step: 1,
      offset: program.trigger.offset_minutes || 1440,
      mode: cond.type === "script" ? "script" : "builder",
      rows: (cond.rows || []).map(editRow),
      groups: (cond.groups || []).map(editGroup),
      actions: program.actions.map((a) => ({ ...a })),
      dirty: false,
      busy: false,
      errors: {},
      eventsFor: null,
    };
    const $ = (sel) => document.querySelector(sel);
    const f = {
      name: $("#f-name"), description: $("#f-description"), lane: $("#f-lane"), cap: $("#f-cap"),
      trigger: $("#f-trigger"), cron: $("#f-cron"), match: $("#f-match"), source: $("#f-source"),
    };
    const message = $("#builder-message");

    f.name.value = automation ? automation.name : "";
    f.description.value = automation ? automation.description : "";
    f.lane.value = automation ? automation.lane : "front_desk";
    f.cap.value = automation && automation.frequencyCapHours != null ? automation.frequencyCapHours : "";
    f.trigger.value = program.trigger.event;
    f.cron.value = program.trigger.cron || "";
    f.match.value = cond.match || "all";
    f.source.value = cond.source || "";
    root.querySelector(`input[name=cond-mode][value=${st.mode}]`).checked = true;
    for (const [key, input] of Object.entries({ name: f.name, description: f.description, lane: f.lane,
      frequencyCapHours: f.cap, trigger: f.trigger, "trigger.cron": f.cron, "conditions.source": f.source })) {
      input.closest("label").after(errorSlot(key, input));
    }
    $("#offset-field").append(duration("How long before the start", st.offset, "trigger.offset_minutes", (m) => { st.offset = m; }));
    $("#offset-field").append(errorSlot("trigger.offset_minutes", $("#offset-field input")));

    const triggerNow = () => triggers.get(f.trigger.value) || catalog.triggers[0];
    const usableFields = () => triggerNow().fields;

    // --- Step 2: the trigger.
    function renderTrigger() {
      const t = triggerNow();
      $("#trigger-description").textContent = t.description;
      $("#offset-field").hidden = t.event !== "appointment.upcoming";
      $("#cron-field").hidden = t.event !== "schedule";
      const list = t.fields.filter((x) => typeof x.kind === "string").map((x) =>
        h("li", {}, h("code", { text: x.path }), ` ${x.description}`, x.private ? h("span", { class: "muted", text: " (never shown to sitters)" }) : null));
      $("#trigger-fields").replaceChildren(...list);
      $("#template-fields").replaceChildren(...t.fields.filter((x) => typeof x.kind === "string").map((x) =>
        h("li", {}, h("code", { text: `{{ ${x.path} }}` }), ` ${x.description}`)));
    }

    // --- Step 3: conditions: rows, then groups of rows with their own all/any.
    function renderConditions() {
      $("#conditions-builder").hidden = st.mode !== "builder";
      $("#conditions-script").hidden = st.mode !== "script";
      $("#no-conditions").hidden = st.rows.length + st.groups.length > 0;
      $("#condition-rows").replaceChildren(...st.rows.map((_, i) => rowItem(st.rows, i, "conditions", `Condition ${i + 1}`)));
      $("#condition-groups").replaceChildren(...st.groups.map(groupItem));
      applyErrors();
    }

    // Row `i` of `rows`, which belong to the group at `groupAt`; `name` starts its labels.
    function rowItem(rows, i, groupAt, name) {
      const row = rows[i];
      const at = `${groupAt}.rows[${i}]`;
      const fields = usableFields();
      const known = fields.find((x) => x.path === row.field);
      const kind = known ? (typeof known.kind === "string" ? known.kind : "object") : "text";
      const fits = FITS[kind];
      if (!fits.includes(row.operator)) row.operator = fits[0];
      const options = fields.map((x) => [x.path, `${x.path}: ${x.description}`]);
      if (!known) options.unshift([row.field, row.field ? `${row.field} (not a field of this trigger)` : "Choose a field"]);
      const field = select(options, row.field, { "data-field": `${at}.field`, "aria-label": `${name}: field`, onchange: (e) => { row.field = e.target.value; renderConditions(); } });
      const operator = select(fits.map((o) => [o, OPERATORS[o]]), row.operator, {
        "data-field": `${at}.operator`, "aria-label": `${name}: operator`, onchange: (e) => { row.operator = e.target.value; renderConditions(); },
      });
      const value = h("input", {
        type: "text", value: row.value, "data-field": `${at}.value`, autocomplete: "off", "aria-label": `${name}: value`,
        placeholder: PLACEHOLDERS[row.operator] || PLACEHOLDERS[kind] || "",
        oninput: (e) => { row.value = e.target.value; },
      });
      const hasValue = takesValue.get(row.operator) !== false;
      return h("li", { class: "condition-row", "data-testid": "condition-row" },
        h("label", {}, `Field`, field), errorSlot(`${at}.field`, field),
        h("label", {}, "Operator", operator), errorSlot(`${at}.operator`, operator),
        hasValue ? h("label", {}, "Value", value) : null, hasValue ? errorSlot(`${at}.value`, value) : null,
        h("button", { type: "button", class: "icon", "aria-label": `Remove ${name.toLowerCase()}`, text: "Remove",
          onclick: () => { rows.splice(i, 1); changed(); renderConditions(); } }),
        errorSlot(at));
    }

    function groupItem(g, gi) {
      const at = `conditions.groups[${gi}]`;
      const name = groupName(at);
      const match = select([["all", "all of these are true"], ["any", "any of these is true"]], g.match, {
        "data-field": `${at}.match`, "aria-label": `${name}: true when`, onchange: (e) => { g.match = e.target.value; },
      });
      const deeper = g.groups.length
        ? h("p", { class: "muted", text: `It also has ${plural(g.groups.length, "group")} inside it, written elsewhere and kept as saved.` })
        : null;
      return h("li", { class: "condition-group", "data-testid": "condition-group" },
        h("fieldset", {},
          h("legend", { text: name }),
          h("label", { class: "inline-label" }, "True when", match),
          h("ol", { class: "condition-rows" }, g.rows.map((_, i) => rowItem(g.rows, i, at, `${name}, condition ${i + 1}`))),
          g.rows.length || g.groups.length ? null : h("p", { class: "muted", text: "No conditions in this group yet: an empty group counts as true." }),
          deeper,
          h("div", { class: "buttons-row" },
            h("button", { type: "button", "aria-label": `Add condition to ${name.toLowerCase()}`, text: "Add condition",
              onclick: () => { g.rows.push(newRow()); changed(); renderConditions(); focusField(`${at}.rows[${g.rows.length - 1}].field`); } }),
            h("button", { type: "button", "aria-label": `Remove ${name.toLowerCase()}`, text: "Remove group",
              onclick: () => { st.groups.splice(gi, 1); changed(); renderConditions(); $("#add-group").focus(); } })),
          errorSlot(at)));
    }

    function newRow() {
      const first = usableFields().find((x) => typeof x.kind === "string");
      return { field: first ? first.path : "", operator: "equals", value: "" };
    }

    function focusField(field) {
      const el = root.querySelector(`[data-field="${CSS.escape(field)}"]`);
      if (el) el.focus();
    }

    // --- Step 4: actions and their settings.
    function renderActions() {
      $("#action-list").replaceChildren(...st.actions.map((a, i) => {
        const at = `actions[${i}]`;
        const n = i + 1;
        const move = (to) => () => {
          const [moved] = st.actions.splice(i, 1);
          st.actions.splice(to, 0, moved);
          changed();
          renderActions();
          renderTemplates();
          const again = $(`#action-list > li:nth-child(${to + 1}) [data-move]`);
          if (again) again.focus();
        };
        const settings = [];
        if (a.type === "send_sms") {
          const to = select(Object.entries(RECIPIENTS).map(([v, l]) => [v, l[0].toUpperCase() + l.slice(1)]), a.to,
            { "data-field": `${at}.to`, "aria-label": `Action ${n}: send to`, onchange: (e) => { a.to = e.target.value; renderTemplates(); } });
          settings.push(h("label", {}, "To", to), errorSlot(`${at}.to`, to));
        }
        if (a.type === "add_tag" || a.type === "remove_tag") {
          const tag = h("input", { type: "text", value: a.tag, maxlength: "40", "data-field": `${at}.tag`, placeholder: "vip", "aria-label": `Action ${n}: tag`,
            autocomplete: "off", oninput: (e) => { a.tag = e.target.value; } });
          settings.push(h("label", {}, "Tag", tag), errorSlot(`${at}.tag`, tag));
        }
        if (a.type === "wait") {
          const d = duration(`Wait for`, a.minutes, `${at}.minutes`, (m) => { a.minutes = m; });
          settings.push(d, errorSlot(`${at}.minutes`, d.querySelector("input")));
        }
        if (a.type === "create_alert") {
          const sev = select(Object.entries(SEVERITIES), a.severity, { "aria-label": `Action ${n}: severity`, onchange: (e) => { a.severity = e.target.value; } });
          settings.push(h("label", {}, "Severity", sev));
        }
        if ("template" in a) settings.push(h("p", { class: "muted", text: "Its words are written in step 5." }));
        return h("li", { class: "action-card", "data-testid": "action" },
          h("div", { class: "action-head" },
            h("h3", { text: `${n}. ${ACTIONS[a.type]}` }),
            h("span", { class: "action-tools" },
              h("button", { type: "button", "data-move": true, "aria-label": `Move action ${n} up`, text: "↑", disabled: i === 0, onclick: move(i - 1) }),
              h("button", { type: "button", "data-move": true, "aria-label": `Move action ${n} down`, text: "↓", disabled: i === st.actions.length - 1, onclick: move(i + 1) }),
              h("button", { type: "button", "aria-label": `Remove action ${n}`, text: "Remove",
                onclick: () => { st.actions.splice(i, 1); changed(); renderActions(); renderTemplates(); } }))),
          h("div", { class: "settings" }, settings),
          errorSlot(at));
      }));
      if (!st.actions.length) $("#action-list").append(h("li", { class: "empty", text: "No actions yet: add one below." }));
      applyErrors();
    }

    // --- Step 5: each text with its live preview.
    function renderTemplates() {
      const cards = [];
      st.actions.forEach((a, i) => {
        if (!("template" in a)) return;
        const at = `actions[${i}]`;
        const audience = a.type === "send_sms" ? a.to : "owner";
        const heading = a.type === "send_sms" ? `Action ${i + 1}: text to ${RECIPIENTS[a.to]}` : `Action ${i + 1}: ${ACTIONS[a.type].toLowerCase()}`;
        const parts = [h("h3", { text: heading })];
        if ("title" in a) {
          const title = h("input", { type: "text", value: a.title, "data-field": `${at}.title`, autocomplete: "off", "aria-label": `Action ${i + 1}: title`,
            placeholder: "New lead: {{ client.name }}", oninput: (e) => { a.title = e.target.value; } });
          parts.push(h("label", {}, "Title", title), errorSlot(`${at}.title`, title));
        }
        const previewId = uid("preview");
        const area = h("textarea", { rows: "4", "data-field": `${at}.template`, "aria-describedby": previewId, "aria-label": `Action ${i + 1}: text`,
          placeholder: "Hi {{ client.first_name }}, …" });
        area.value = a.template;
        const text = h("p", { class: "preview-text", "data-testid": "preview-text" });
        const count = h("output", { class: "count", "data-testid": "preview-count" });
        const problem = h("p", { class: "field-error", "data-testid": "preview-error", hidden: true });
        const preview = h("div", { class: "preview", id: previewId, "aria-live": "polite" },
          h("span", { class: "preview-label", text: `Preview with the sample ${f.trigger.value} event${audience === "sitter" ? " (as the sitter sees it: no client phone or email)" : ""}` }),
          text, a.type === "send_sms" ? count : null, problem);
        const update = previewer(a, audience, area, text, count, problem);
        area.addEventListener("input", () => { a.template = area.value; update(); });
        parts.push(h("label", {}, a.type === "send_sms" ? "Text" : "Message", area), errorSlot(`${at}.template`, area), preview);
        cards.push(h("article", { class: "template-card", "data-testid": "template" }, parts));
        update(true);
      });
      if (!cards.length) cards.push(h("p", { class: "muted", text: "None of the actions has words to write: add a text, a notification or an alert in step 4." }));
      $("#template-list").replaceChildren(...cards);
      applyErrors();
    }

    // Asks the server to render `area`'s template against the sample, at most one request
    // per pause in typing; an answer to an older text is dropped.
    function previewer(a, audience, area, text, count, problem) {
      let timer = null;
      let asked = 0;
      async function run() {
        const mine = ++asked;
        if (!area.value.trim()) {
          text.textContent = "";
          count.textContent = "";
          problem.hidden = true;
          return;
        }
        const res = await api("POST", "/api/automations/preview", { trigger: f.trigger.value, template: area.value, audience });
        if (mine !== asked) return;
        const d = res.data;
        if (res.ok && d.ok) {
          text.textContent = d.text;
          const s = d.segments;
          const encoding = s.encoding === "GSM-7" ? "GSM-7" : "Unicode (UCS-2)";
          count.textContent = `${plural(s.units, "character")} · ${plural(s.segments, "segment")} · ${encoding}`;
          count.dataset.segments = String(s.segments);
          problem.hidden = true;
        } else {
          const e = res.ok ? d.error : { message: d.message };
          text.textContent = "";
          count.textContent = "";
          problem.textContent = e.line ? `Line ${e.line}: ${e.message}` : e.message;
          problem.hidden = false;
        }
      }
      return (now) => {
        clearTimeout(timer);
        timer = setTimeout(run, now === true ? 0 : PREVIEW_DELAY_MS);
      };
    }

    // --- Step 6: the summary.
    function describeRow(r) {
      const op = OPERATORS[r.operator] || r.operator;
      return takesValue.get(r.operator) === false ? `${r.field} ${op}` : `${r.field} ${op} “${r.value}”`;
    }

    // "All of:" and its rows, then each group inside it the same way.
    function describeGroup(g) {
      return h("div", {}, g.match === "any" ? "Any of:" : "All of:", h("ul", {},
        g.rows.map((r) => h("li", { text: describeRow({ ...r, value: textOf(r.value) }) })),
        (g.groups || []).map((sub) => h("li", {}, describeGroup(sub)))));
    }

    function describeAction(a) {
      switch (a.type) {
        case "send_sms": return `Text ${RECIPIENTS[a.to]}: “${a.template}”`;
        case "notify_owner": return `Notify me: “${a.title}”`;
        case "add_tag": return `Tag the client “${a.tag}”`;
        case "remove_tag": return `Remove the tag “${a.tag}”`;
        case "wait": return a.minutes ? `Wait ${minutesText(a.minutes)}` : "Wait (how long?)";
        case "create_alert": return `Create a ${a.severity} alert: “${a.title}”`;
        default: return a.type;
      }
    }

    function renderReview() {
      const t = triggerNow();
      let timing = t.description;
      if (t.event === "appointment.upcoming" && st.offset) timing += ` (${minutesText(st.offset)} before the start)`;
      if (t.event === "schedule") timing += ` (cron: ${f.cron.value || "not set"})`;
      let conditions;
      if (st.mode === "script") conditions = h("pre", { class: "code", text: f.source.value || "(empty)" });
      else if (!st.rows.length && !st.groups.length) conditions = "None: every event runs the actions.";
      else conditions = describeGroup({ match: f.match.value, rows: st.rows, groups: st.groups });
      const cap = f.cap.value.trim();
      const items = [
        ["Name", f.name.value || "(no name yet)"],
        ["Description", f.description.value || "—"],
        ["Lane", LANES[f.lane.value]],
        ["Trigger", h("span", {}, h("code", { text: t.event }), ` ${timing}`)],
        ["Conditions", conditions],
        ["Actions", st.actions.length ? h("ol", {}, st.actions.map((a) => h("li", { text: describeAction(a) }))) : "None yet"],
        ["Frequency cap", cap ? `At most once per client every ${plural(Number(cap), "hour")}` : "None"],
        ["Saved", !automation ? "Not saved yet" : st.dirty ? `Unsaved changes (last saved: version ${automation.latestVersion})`
          : `Version ${automation.latestVersion}${automation.latestTested ? ", tested" : ", not tested yet"}`],
      ];
      $("#review").replaceChildren(...items.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", {}, v)]));
      loadEvents();
    }

    // Recent real events of the trigger chosen in step 2, to test with instead of the
    // sample: Test Mode saves first, so that is the trigger the test runs on (an active
    // automation's live version may still run on another).
    async function loadEvents() {
      const trigger = f.trigger.value;
      if (!automation || st.eventsFor === trigger) return;
      st.eventsFor = trigger;
      const picker = $("#test-event");
      const sample = () => h("option", { value: "", text: "the trigger's sample event" });
      // An event of the trigger before is no use any more, even while the new ones load.
      picker.replaceChildren(sample());
      const res = await api("GET", `/api/automations/${automation.id}/events?trigger=${encodeURIComponent(trigger)}`);
      if (st.eventsFor !== trigger) return;
      if (!res.ok) {
        st.eventsFor = null; // asked again next time the review shows
        return;
      }
      picker.replaceChildren(sample(), ...res.data.map((e) => h("option", { value: e.id, text: `${e.summary} · ${when(e.at)}` })));
    }

    // --- Steps, errors, messages.
    function show(n, focus) {
      st.step = n;
      root.querySelectorAll("[data-step]").forEach((s) => { s.hidden = Number(s.dataset.step) !== n; });
      root.querySelectorAll("[data-step-tab] button").forEach((b) => {
        if (Number(b.dataset.goto) === n) b.setAttribute("aria-current", "step");
        else b.removeAttribute("aria-current");
      });
      if (n === 6) renderReview();
      if (focus) $(`#step-${n}-heading`).focus();
    }

    // Puts each of the last save's problems next to its input (or, when that input is
    // not on the page, the nearest one it belongs to), and marks the steps that have any.
    function applyErrors() {
      root.querySelectorAll("[data-error-for]").forEach((p) => { p.hidden = true; p.textContent = ""; });
      root.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
      for (const [field, reason] of Object.entries(st.errors)) {
        let key = field;
        let slot = null;
        while (key) {
          slot = root.querySelector(`[data-error-for="${CSS.escape(key)}"]`);
          if (slot) break;
          key = parentField(key);
        }
        if (!slot) continue;
        slot.textContent = [slot.textContent, key === field ? reason : `${fieldLabel(field)}: ${reason}`].filter(Boolean).join(" ");
        slot.hidden = false;
        const input = root.querySelector(`[data-field="${CSS.escape(field)}"]`);
        if (input) input.setAttribute("aria-invalid", "true");
      }
      const steps = new Set(Object.keys(st.errors).map(stepOf));
      root.querySelectorAll("[data-step-tab]").forEach((li) => li.classList.toggle("has-error", steps.has(Number(li.dataset.stepTab))));
    }

    function say(text, kind, extra) {
      const p = h("p", { class: kind === "ok" ? "flash" : "error", role: kind === "ok" ? "status" : "alert", text });
      message.replaceChildren(p, extra || "");
    }

    // A request that did not work: its message, and each problem with a way to its step.
    function failed(res, what) {
      const fields = (res.data && res.data.fields) || {};
      if (!Object.keys(fields).length) {
        say(res.data.message || `${what}.`, "error");
        return;
      }
      st.errors = fields;
      applyErrors();
      const list = h("ul", { class: "problems" }, Object.entries(fields).map(([field, reason]) =>
        h("li", {}, h("button", { type: "button", class: "link", text: `Step ${stepOf(field)}`, onclick: () => show(stepOf(field), true) }),
          ` ${fieldLabel(field)}: ${reason}`)));
      say(`${what}: ${plural(Object.keys(fields).length, "problem")} to fix.`, "error", list);
    }

    function renderHead() {
      const status = automation ? automation.status : "new";
      const badge = $("#automation-status");
      badge.className = `badge auto-${status}`;
      badge.textContent = automation ? status : "not saved yet";
      let versions = "";
      if (automation) {
        const a = automation;
        versions = a.liveVersion ? `Live: version ${a.liveVersion}` : "Not live";
        if (a.latestVersion !== a.liveVersion) versions += ` · latest: version ${a.latestVersion}${a.latestTested ? " (tested)" : " (untested changes)"}`;
        $("#automation-name").textContent = a.name;
        document.title = `${a.name} · Switchboard`;
        const logs = $("#logs-link");
        logs.href = `/automations/${a.id}/executions`;
        logs.hidden = false;
      }
      if (st.dirty) versions += versions ? " · unsaved changes" : "Unsaved changes";
      $("#automation-versions").textContent = versions;
      $("#pause").hidden = !automation || status !== "active";
      $("#archive").hidden = !automation || status === "archived";
    }

    // After the saved automation changed: the header, and the summary if it is showing.
    function refresh() {
      renderHead();
      if (st.step === 6) renderReview();
    }

    function changed() {
      if (st.dirty) return;
      st.dirty = true;
      renderHead();
    }

    // --- Save Draft, Test Mode, Activate, Pause, Archive.
    function collect() {
      const event = f.trigger.value;
      const trigger = { event };
      if (event === "appointment.upcoming") trigger.offset_minutes = st.offset;
      if (event === "schedule") trigger.cron = f.cron.value.trim();
      const conditions = st.mode === "script"
        ? { type: "script", source: f.source.value }
        : { type: "builder", match: f.match.value, rows: st.rows.map(savedRow) };
      if (st.mode === "builder" && st.groups.length) {
        conditions.groups = st.groups.map((g) => ({ match: g.match, rows: g.rows.map(savedRow), ...(g.groups.length ? { groups: g.groups } : {}) }));
      }
      const keep = { send_sms: ["to", "template"], notify_owner: ["title", "template"], add_tag: ["tag"],
        remove_tag: ["tag"], wait: ["minutes"], create_alert: ["severity", "title", "template"] };
      const actions = st.actions.map((a) => Object.fromEntries([["type", a.type], ...keep[a.type].map((k) => [k, a[k]])]));
      const cap = f.cap.value.trim();
      return {
        name: f.name.value, description: f.description.value, lane: f.lane.value,
        frequencyCapHours: cap === "" ? null : Number(cap), trigger, conditions, actions,
      };
    }

    function savedRow(r) {
      if (takesValue.get(r.operator) === false) return { field: r.field, operator: r.operator };
      // `in` takes a list: "dog_walk, drop_in" is saved as two values.
      const value = r.operator === "in" ? r.value.split(",").map((v) => v.trim()).filter(Boolean) : r.value;
      return { field: r.field, operator: r.operator, value };
    }

    async function save() {
      const first = !automation;
      const res = first
        ? await api("POST", "/api/automations", collect())
        : await api("PUT", `/api/automations/${automation.id}`, collect());
      if (!res.ok) {
        failed(res, "Not saved");
        return false;
      }
      automation = res.data;
      st.dirty = false;
      st.errors = {};
      applyErrors();
      if (first) history.replaceState(null, "", `/automations/${automation.id}`);
      refresh();
      return true;
    }

    // Runs `work` with the buttons disabled, so a double click does one thing.
    async function busy(work) {
      if (st.busy) return;
      st.busy = true;
      const buttons = document.querySelectorAll("#save, #test, #activate, #pause, #archive");
      buttons.forEach((b) => { b.disabled = true; });
      root.setAttribute("aria-busy", "true");
      try {
        await work();
      } finally {
        st.busy = false;
        buttons.forEach((b) => { b.disabled = false; });
        root.removeAttribute("aria-busy");
      }
    }

    async function saveDraft() {
      if (automation && !st.dirty) {
        say(`No changes to save since version ${automation.latestVersion}.`, "ok");
        return;
      }
      if (!(await save())) return;
      const a = automation;
      const live = a.liveVersion && a.liveVersion !== a.latestVersion
        ? ` Version ${a.liveVersion} stays live until you test and activate this one.` : "";
      say(`Saved: version ${a.latestVersion}.${live}`, "ok");
    }

    async function runTest() {
      if ((!automation || st.dirty) && !(await save())) return;
      const body = { version: automation.latestVersion };
      const eventId = $("#test-event").value;
      if (eventId) body.eventId = eventId;
      const res = await api("POST", `/api/automations/${automation.id}/test`, body);
      if (!res.ok) {
        failed(res, "The test did not run");
        return;
      }
      const run = res.data;
      if (run.passed && run.version === automation.latestVersion) automation.latestTested = true;
      refresh();
      renderTest(run);
      if (run.passed) say(`Test passed: nothing was sent. Version ${run.version} can be activated.`, "ok");
      else say("The test did not pass: see why below.", "error");
    }

    function renderTest(run) {
      const out = $("#test-result");
      const conditions = run.conditions && run.conditions.length
        ? h("table", { class: "table condition-results" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Condition" }), h("th", { scope: "col", text: "Value in the event" }), h("th", { scope: "col", text: "Result" }))),
          resultGroups(run.conditions))
        : h("p", { class: "muted", text: "No conditions: every event runs the actions." });
      const steps = run.steps.length
        ? h("ol", { class: "simulated" }, run.steps.map((s) => h("li", { "data-testid": "simulated-step" },
          h("strong", { text: ACTIONS[s.action] || s.action }), " ",
          h("span", { class: `badge run-${s.status}`, text: s.status }),
          s.input.title ? h("p", {}, h("strong", { text: s.input.title })) : null,
          s.input.text ? h("p", { class: "rendered", "data-testid": "rendered-text", text: s.input.text }) : null,
          s.input.segments ? h("p", { class: "count", text: `${plural(s.input.segments.units, "character")} · ${plural(s.input.segments.segments, "segment")} · ${s.input.segments.encoding}` }) : null,
          s.output && s.output.summary ? h("p", { class: "muted", text: s.output.summary }) : null,
          s.error ? h("p", { class: "error", text: s.error }) : null)))
        : h("p", { class: "muted", text: "No actions ran." });
      const source = run.eventId ? "a real event" : "the sample event";
      out.replaceChildren(...[
        h("h3", { class: run.passed ? "ok" : "bad", text: run.passed ? "Test passed" : "Test did not pass" }),
        h("p", { class: "muted" }, `Execution status: `, h("span", { class: "badge run-test", "data-testid": "test-status", text: run.status }),
          ` · version ${run.version} · ${source} · ${when(run.startedAt)}`),
        run.reason ? h("p", { class: "reason", text: run.reason }) : null,
        run.error ? h("p", { class: "error", text: run.error }) : null,
        h("h4", { text: "Conditions" }), conditions,
        h("h4", { text: "Actions (simulated: nothing was sent)" }), steps,
        h("p", {}, h("a", { href: `/automations/${automation.id}/executions?mode=test`, text: "All test runs in the Execution Logs" })),
      ].filter(Boolean));
      out.hidden = false;
    }

    // One table body per group of rows (the rows of a group come together, after the
    // top-level ones), headed by the group's name and how it matches.
    function resultGroups(checks) {
      const bodies = [];
      let last = null;
      for (const c of checks) {
        const group = (c.at || "").replace(/\.rows\[\d+\]$/, "");
        if (group !== last) {
          const g = group.includes("groups[") && groupAt(group);
          const head = group.includes("groups[") && `${groupName(group)}${g ? `: ${g.match === "any" ? "any" : "all"} of these` : ""}`;
          bodies.push(h("tbody", {}, head && h("tr", { class: "group-head" }, h("th", { colspan: "3", scope: "rowgroup", text: head }))));
          last = group;
        }
        bodies[bodies.length - 1].append(h("tr", { "data-testid": "condition-result", "data-at": c.at },
          h("td", {}, h("code", { text: c.field ? describeRow({ field: c.field, operator: c.operator, value: textOf(c.value) }) : c.expression })),
          h("td", {}, h("code", { text: JSON.stringify(c.actual) })),
          h("td", { class: c.passed ? "ok" : "bad", text: c.passed ? "✓ true" : "✗ false" })));
      }
      return bodies;
    }

    // The group at "conditions.groups[0].groups[1]" as the builder holds it (what was just
    // saved and tested), if it is there.
    function groupAt(path) {
      let g = { groups: st.groups };
      for (const m of path.matchAll(/groups\[(\d+)\]/g)) g = g && g.groups[Number(m[1])];
      return g;
    }

    async function activate() {
      if ((!automation || st.dirty) && !(await save())) return;
      const res = await api("POST", `/api/automations/${automation.id}/activate`, { version: automation.latestVersion });
      if (!res.ok) {
        // The refusal is shown word for word: it says what to do.
        say(res.data.message || "Not activated.", "error");
        return;
      }
      Object.assign(automation, res.data);
      refresh();
      say(`Active: version ${automation.liveVersion} runs on every ${automation.trigger} event.`, "ok");
    }

    async function pause() {
      const res = await api("POST", `/api/automations/${automation.id}/pause`);
      if (!res.ok) {
        say(res.data.message || "Not paused.", "error");
        return;
      }
      Object.assign(automation, res.data);
      refresh();
      say("Paused: no new runs start; runs already waiting finish. Activate to start again.", "ok");
    }

    async function archive() {
      if (!window.confirm(`Archive “${automation.name}”? It stops running and leaves the list; its logs stay.`)) return;
      const res = await api("POST", `/api/automations/${automation.id}/archive`);
      if (!res.ok) {
        say(res.data.message || "Not archived.", "error");
        return;
      }
      window.location.assign("/automations?done=automation_archived");
    }

    // --- Wiring.
    root.addEventListener("click", (e) => {
      const go = e.target.closest("[data-goto]");
      if (go) show(Number(go.dataset.goto), true);
    });
    root.addEventListener("input", (e) => { if (!e.target.closest("[data-no-dirty]")) changed(); });
    root.addEventListener("change", (e) => { if (!e.target.closest("[data-no-dirty]")) changed(); });
    f.trigger.addEventListener("change", () => {
      renderTrigger();
      renderConditions();
      renderTemplates();
    });
    root.querySelectorAll("input[name=cond-mode]").forEach((r) => r.addEventListener("change", () => {
      st.mode = r.value;
      renderConditions();
    }));
    $("#add-condition").addEventListener("click", () => {
      st.rows.push(newRow());
      changed();
      renderConditions();
      focusField(`conditions.rows[${st.rows.length - 1}].field`);
    });
    $("#add-group").addEventListener("click", () => {
      // A group that matched like the rows around it would change nothing: start it the other way.
      st.groups.push({ match: f.match.value === "all" ? "any" : "all", rows: [newRow()], groups: [] });
      changed();
      renderConditions();
      focusField(`conditions.groups[${st.groups.length - 1}].match`);
    });
    $("#add-action").addEventListener("click", () => {
      const type = $("#new-action-type").value;
      st.actions.push({ type, ...NEW_ACTION[type] });
      changed();
      renderActions();
      renderTemplates();
    });
    $("#save").addEventListener("click", () => busy(saveDraft));
    $("#test").addEventListener("click", () => busy(runTest));
    $("#activate").addEventListener("click", () => busy(activate));
    $("#pause").addEventListener("click", () => busy(pause));
    $("#archive").addEventListener("click", () => busy(archive));
    window.addEventListener("beforeunload", (e) => {
      if (!st.dirty) return;
      e.preventDefault();
      e.returnValue = "";
    });

    renderTrigger();
    renderConditions();
    renderActions();
    renderTemplates();
    renderHead();
    show(1, false);
  }

  // --- Settings: quiet hours and the owner's mobile -----------------------------------

  function settingsForm(form) {
    const out = form.querySelector("output");
    const toggle = () => {
      const on = form.elements.quiet.checked;
      form.elements.quiet_start.disabled = !on;
      form.elements.quiet_end.disabled = !on;
    };
    form.elements.quiet.addEventListener("change", toggle);
    toggle();
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const el = form.elements;
      const body = {
        quietHours: el.quiet.checked ? { start: el.quiet_start.value, end: el.quiet_end.value } : null,
        myMobile: el.my_mobile.value.trim() || null,
      };
      form.querySelectorAll("[data-error-for]").forEach((p) => { p.hidden = true; });
      const res = await api("PUT", "/api/settings/automations", body);
      if (res.ok) {
        out.className = "flash";
        out.textContent = "Saved.";
        return;
      }
      out.className = "error";
      out.textContent = res.data.message || "Not saved.";
      for (const [field, reason] of Object.entries(res.data.fields || {})) {
        const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
        if (slot) {
          slot.textContent = reason;
          slot.hidden = false;
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("builder");
    const data = document.getElementById("builder-data");
    if (root && data) builder(root, JSON.parse(data.textContent));
    const form = document.getElementById("automation-settings");
    if (form) settingsForm(form);
  });
})();
