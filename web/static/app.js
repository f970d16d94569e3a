// Switchboard's only script: refresh a list in place while the tab is visible.
// An element with data-poll="URL" and data-poll-target="selector" is replaced by the
// same selector from URL every few seconds; polling stops while the tab is hidden.
(function () {
  "use strict";
  const INTERVAL_MS = 5000;
  function poll(el) {
    let timer = null;
    async function tick() {
      if (document.hidden) return;
      try {
        const res = await fetch(el.dataset.poll, { headers: { "X-Requested-With": "poll" } });
        if (!res.ok) return;
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        const fresh = doc.querySelector(el.dataset.pollTarget);
        if (fresh && fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
      } catch (_) { /* offline for a moment: try again next tick */ }
    }
    function start() { if (!timer) timer = setInterval(tick, INTERVAL_MS); }
    function stop() { clearInterval(timer); timer = null; }
    document.addEventListener("visibilitychange", () => (document.hidden ? stop() : (tick(), start())));
    if (!document.hidden) start();
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-poll]").forEach(poll);
    document.querySelectorAll("time[datetime]").forEach((t) => {
      const d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) t.textContent = d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    });
  });
})();
