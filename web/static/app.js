// Switchboard's only script, for what HTML cannot do on its own:
// - refresh parts of a page in place while the tab is visible (data-poll),
// - count characters and SMS segments while a text is typed (data-segments), and
//   preview a campaign's template as it is typed (data-preview-trigger),
// - show times in the org's time zone (<body data-tz>), else the reader's, and send
//   the times typed in the reader's zone as UTC.
(function () {
  "use strict";

  // Every few seconds; every second while a text on the page is on its way.
  const SLOW_MS = 5000;
  const FAST_MS = 1000;

  // <time data-style="time"> shows the time of day alone (a day's schedule).
  function localizeTimes(root) {
    const tz = document.body.dataset.tz;
    root.querySelectorAll("time[datetime]").forEach((t) => {
      const d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) return;
      const options = t.dataset.style === "time"
        ? { timeStyle: "short" }
        : { dateStyle: "medium", timeStyle: "short" };
      try {
        t.textContent = d.toLocaleString([], tz ? { ...options, timeZone: tz } : options);
      } catch (e) {
        // An unknown zone: the reader's own.
        t.textContent = d.toLocaleString([], options);
      }
    });
  }

  // A datetime-local field shows and takes the reader's local time; the server wants
  // UTC. The field's data-value (RFC 3339) is shown in local time, and on submit the
  // hidden field named by data-utc gets the moment typed, in UTC.
  function localTimeFields() {
    const pad = (n) => String(n).padStart(2, "0");
    document.querySelectorAll("input[type=datetime-local][data-utc]").forEach((input) => {
      const shown = new Date(input.dataset.value || "");
      if (input.dataset.value && !isNaN(shown)) {
        input.value = `${shown.getFullYear()}-${pad(shown.getMonth() + 1)}-${pad(shown.getDate())}` +
          `T${pad(shown.getHours())}:${pad(shown.getMinutes())}`;
      }
      if (!input.form) return;
      input.form.addEventListener("submit", () => {
        const hidden = input.form.elements[input.dataset.utc];
        const typed = new Date(input.value);
        if (hidden) hidden.value = input.value && !isNaN(typed) ? typed.toISOString() : "";
      });
    });
  }

  // An element with data-poll="URL" and data-poll-target="selector" is replaced by the
  // same selector from URL. Elements polling one URL share one request. A part is only
  // replaced when the server's HTML changed, and keeps its open <details> and, when it
  // was scrolled to the end, its place at the end.
  function startPolling() {
    const groups = new Map();
    document.querySelectorAll("[data-poll]").forEach((el) => {
      const url = el.dataset.poll;
      if (!groups.has(url)) groups.set(url, []);
      groups.get(url).push({ el, last: el.innerHTML });
    });
    if (!groups.size) return;
    let timer = null;
    let running = false;

    function refresh(item, doc) {
      const fresh = doc.querySelector(item.el.dataset.pollTarget);
      if (!fresh || fresh.innerHTML === item.last) return;
      item.last = fresh.innerHTML;
      const el = item.el;
      const open = Array.from(el.querySelectorAll("details[open][id]"), (d) => d.id);
      const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      el.innerHTML = fresh.innerHTML;
      open.forEach((id) => {
        const d = document.getElementById(id);
        if (d) d.open = true;
      });
      if (atEnd && el.hasAttribute("data-scroll-end")) el.scrollTop = el.scrollHeight;
      localizeTimes(el);
    }

    async function tick() {
      if (running) return;
      running = true;
      clearTimeout(timer);
      timer = null;
      for (const [url, items] of groups) {
        try {
          const res = await fetch(url, { headers: { "X-Requested-With": "poll" } });
          if (!res.ok) continue;
          const doc = new DOMParser().parseFromString(await res.text(), "text/html");
          items.forEach((item) => refresh(item, doc));
        } catch (_) {
          /* offline for a moment: try again next tick */
        }
      }
      running = false;
      schedule();
    }

    function schedule() {
      if (document.hidden || timer) return;
      const wait = document.querySelector("[data-in-flight]") ? FAST_MS : SLOW_MS;
      timer = setTimeout(tick, wait);
    }

    document.addEventListener("visibilitychange", () => {
      clearTimeout(timer);
      timer = null;
      if (!document.hidden) tick();
    });
    schedule();
  }

  // SMS segments. GSM-7 fits 160 characters in one text and 153 per part once split; the
  // extension characters take two. One character outside GSM-7 makes the whole text
  // UCS-2: 70 UTF-16 units in one text, 67 per part (an emoji is two units).
  const GSM_BASIC =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const GSM_EXTENSION = "\f^{}\\[~]|€";

  function segments(text) {
    let septets = 0;
    for (const ch of text) {
      if (GSM_BASIC.includes(ch)) septets += 1;
      else if (GSM_EXTENSION.includes(ch)) septets += 2;
      else {
        const units = text.length;
        return { encoding: "UCS-2", units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
      }
    }
    const count = septets === 0 ? 0 : septets <= 160 ? 1 : Math.ceil(septets / 153);
    return { encoding: "GSM-7", units: septets, segments: count };
  }

  function plural(n, word) {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  }

  function segmentCounter(area) {
    const out = document.getElementById(area.dataset.segments);
    if (!out) return;
    function update() {
      const s = segments(area.value);
      const encoding = s.encoding === "GSM-7" ? "GSM-7" : "Unicode (UCS-2)";
      out.textContent = `${plural(s.units, "character")} · ${plural(s.segments, "segment")} · ${encoding}`;
      out.dataset.segments = String(s.segments);
      out.dataset.encoding = s.encoding;
    }
    area.addEventListener("input", update);
    update();
  }

  // A campaign's text, rendered against its trigger's sample as it is typed (a
  // textarea with data-preview-trigger; data-preview names the box to fill).
  function templatePreview(area) {
    const box = document.getElementById(area.dataset.preview);
    if (!box) return;
    const text = box.querySelector(".preview-text");
    const problem = box.querySelector(".field-error");
    let timer = null;
    async function update() {
      try {
        const res = await fetch("/api/automations/preview", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ trigger: area.dataset.previewTrigger, template: area.value, audience: "client" }),
        });
        if (!res.ok) return;
        const body = await res.json();
        if (body.ok) {
          text.textContent = body.text;
          problem.hidden = true;
        } else {
          problem.textContent = (body.error.line ? `Line ${body.error.line}: ` : "") + body.error.message;
          problem.hidden = false;
        }
      } catch (e) {
        // Offline for a moment: the last preview stays.
      }
    }
    area.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(update, 300);
    });
    // The page came with the saved text's preview; a text the browser restored differs.
    if (area.value !== area.defaultValue) update();
  }

  // A conversation opens at its newest text, unless the link named one (#message-…).
  function scrollToEnd() {
    if (location.hash) return;
    document.querySelectorAll("[data-scroll-end]").forEach((el) => {
      el.scrollTop = el.scrollHeight;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    // Before anything changes the DOM: polling compares against the server's HTML.
    startPolling();
    localizeTimes(document);
    localTimeFields();
    document.querySelectorAll("textarea[data-segments]").forEach(segmentCounter);
    document.querySelectorAll("textarea[data-preview-trigger]").forEach(templatePreview);
    scrollToEnd();
  });
})();
