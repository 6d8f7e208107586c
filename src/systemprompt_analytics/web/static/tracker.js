/*! systemprompt-analytics tracker v1 - docs/tracker.md */
(() => {
  const d = document, script = d.currentScript, noop = () => {}, now = () => performance.now();
  const data = script?.dataset || {};
  const endpoint =
    data.endpoint || script?.src.replace(/tracker\.js\b.*/, "collect") || "/api/v1/collect";
  const optedOut = () => {
    try { if (localStorage.sp_analytics_optout === "1") return true; } catch {}
    return navigator.doNotTrack === "1" || window.doNotTrack === "1" || !!window.spaOptOut ||
      "optOut" in data;
  };
  if (optedOut()) return window.spa = { track: noop, conversion: noop };

  let queue = [];
  const flush = () => {
    const body = JSON.stringify({ events: queue.splice(0, 100) });
    if (queue.length) flush();
    if (optedOut()) return;
    if (!navigator.sendBeacon?.(endpoint, new Blob([body], { type: "text/plain" }))) {
      fetch(endpoint, { method: "POST", body, keepalive: true, credentials: "same-origin" })
        .catch(noop);
    }
  };
  const send = (event) => {
    event.v = 1;
    event.ts = Date.now();
    event.id = event.ts.toString(36) + Math.random().toString(36).slice(2);
    if (queue.push(event) === 1) queueMicrotask(flush);
  };

  let page, path, lastTick, measuring, referrer = d.referrer;
  let visible = d.visibilityState === "visible", focused = d.hasFocus();
  const creditTime = () => {
    const dt = now() - lastTick;
    lastTick += dt;
    if (visible) page.visible += dt;
    if (visible && focused) page.engaged += dt;
  };
  const measure = () => {
    const seen = Math.round((scrollY + innerHeight) / d.documentElement.scrollHeight * 100) || 0;
    page.depth = Math.max(page.depth, Math.min(seen, 100));
    measuring = 0;
  };
  const begin = () => {
    path = location.pathname;
    lastTick = now();
    page = { url: location.href, start: lastTick, visible: 0, engaged: 0, depth: 0, clicks: 0,
      rage: 0, dead: 0, first: null, burst: [] };
    send({ type: "page_view", url: page.url, referrer, title: d.title.slice(0, 300) });
  };
  const ms = (x) => Math.min(Math.round(x), 864e5);
  const leave = () => {
    const p = page;
    if (p.sent) return;
    p.sent = 1;
    creditTime();
    measure();
    const s = p.engaged / 1000, depth = p.depth;
    send({ type: "engagement", url: p.url, time_on_page_ms: ms(now() - p.start),
      visible_ms: ms(p.visible), engaged_ms: ms(p.engaged),
      first_interaction_ms: p.first && ms(p.first), scroll_depth: depth,
      clicks: p.clicks, rage_clicks: p.rage, dead_clicks: p.dead,
      reading_pattern: s < 5 && depth < 25 ? "bounce" : s < 15 ? "skim" : s < 45 ? "scan"
        : s < 180 || depth < 75 ? "read" : "engaged" });
  };
  const navigated = () => {
    if (location.pathname !== path) {
      leave();
      referrer = page.url;
      begin();
    }
  };
  for (const method of ["pushState", "replaceState"]) {
    const original = history[method];
    history[method] = function () {
      original.apply(this, arguments);
      navigated();
    };
  }
  const update = () => {
    creditTime();
    visible = d.visibilityState === "visible";
    focused = d.hasFocus();
    if (!visible) leave();
  };
  for (const type of ["focus", "blur", "visibilitychange"]) addEventListener(type, update);
  addEventListener("popstate", navigated);
  addEventListener("pagehide", leave);
  addEventListener("pageshow", (e) => e.persisted && begin());
  addEventListener("scroll", () => measuring ||= requestAnimationFrame(measure), { passive: true });
  const interacted = () => page.first ??= now() - page.start;
  addEventListener("keydown", interacted, true);
  const INTERACTIVE = "a,button,input,select,textarea,label,[contenteditable],[role=button]";
  addEventListener("click", (e) => {
    const p = page, t = now(), el = e.target;
    p.clicks++;
    interacted();
    // rage: 3 clicks within 500 ms and 30 px
    p.burst = p.burst.filter((c) => t - c.t < 500 && Math.hypot(c.x - e.x, c.y - e.y) < 30);
    if (p.burst.push({ t, x: e.x, y: e.y }) > 2) { p.rage++; p.burst = []; }
    // dead: nothing interactive, no text selected, no DOM change within 1 s
    if (!el.closest?.(INTERACTIVE) && !String(getSelection())) {
      let changed;
      const dom = new MutationObserver(() => changed = 1);
      dom.observe(d, { subtree: true, childList: true, attributes: true, characterData: true });
      setTimeout(() => {
        dom.disconnect();
        if (!changed) p.dead++;
      }, 1000);
    }
    const link = el.closest?.("a[href]");
    if (link?.host && link.host !== location.host) {
      send({ type: "link_click", url: location.href, target: link.href });
    }
  }, true);

  const custom = (type) => (name, props) =>
    send({ type, name: String(name), url: location.href, props });
  window.spa = { track: custom("custom"), conversion: custom("conversion") };
  begin();
})();
