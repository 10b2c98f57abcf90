// The patron search: results follow the typing (debounced, the answer of an older query
// dropped), Enter searches at once and never sends the form, a scanned card matching one
// patron by barcode opens the record; active filters as removable chips; a facet keeps
// its other values (its buckets counted without its own filter); the state in the URL.
import { $, FACETS, SEARCH_KEYS, LANG, roleLabel, h, t, tn, badge, busy, names, formatDate } from "../common.js";

const DEBOUNCE_MS = 250;
const TITLES = new Map([...FACETS, ["barcode", t("Barcode")]]);
const FILTER_KEYS = [...TITLES.keys()];
const SINGLE = ["blocked", "expired"]; // yes or no: one value at a time

const ui = {};
let labels = { types: {}, libraries: {} };
let seq = 0; // the number of the latest search: an older answer is dropped
let controller = null; // aborts the request of a search overtaken by a newer one
let timer = null;
let lastShown = null; // the parameters of the results on screen
let typingEntry = false; // the history entry of the current typing, replaced as it goes
let filtersQuery = null; // the query the filters were chosen with
const previousBuckets = {};

function paramsFrom(search) {
  const out = new URLSearchParams();
  for (const [k, v] of new URLSearchParams(search)) if (SEARCH_KEYS.includes(k) && v !== "") out.append(k, v);
  return out;
}
let params = paramsFrom(location.search);

const activeFilters = (p) => FILTER_KEYS.flatMap((key) => p.getAll(key).map((value) => [key, value]));
const query = (p) => (p.get("q") || "").trim();
const pageUrl = (p) => "/staff/patrons" + (p.toString() ? "?" + p : "");

// the state on screen: the URL's, with the query as typed so far (a search may be pending)
function withChange(mutate) {
  const next = new URLSearchParams(params);
  const text = ui.q.value.trim();
  if (text) next.set("q", text); else next.delete("q");
  if (text !== query(params)) next.delete("page");
  mutate(next);
  return next;
}

function without(p, keys) {
  const next = new URLSearchParams(p);
  keys.forEach((key) => next.delete(key));
  return next;
}

async function get(p, signal) {
  const res = await fetch("/api/patrons/?" + p, {
    headers: { Accept: "application/json", "Accept-Language": LANG }, credentials: "same-origin", signal,
  });
  if (res.status === 401) location.assign("/?next=" + encodeURIComponent(location.pathname + location.search));
  let data = {};
  try { data = (await res.json()) || {}; } catch { data = {}; }
  return { ok: res.ok, status: res.status, data };
}

function facetLabel(key, value) {
  if (key === "roles") return roleLabel(value);
  if (key === "patron_type") return labels.types[value] || value;
  if (key === "library") return labels.libraries[value] || value;
  if (key === "blocked" || key === "expired") return value === "true" ? t("Yes") : t("No");
  return value;
}

const exactBarcode = (hit, q) => (hit.metadata.patron?.barcode || []).some((b) => b.toLowerCase() === q.toLowerCase());

// --- navigation: every change goes through the URL ------------------------------------
function go(next, { push = true, scan = false } = {}) {
  params = next;
  if (push) history.pushState(null, "", pageUrl(params)); else history.replaceState(null, "", pageUrl(params));
  typingEntry = false;
  return search({ scan });
}

function setFilter(key, value, on) {
  if (filtersQuery === null || on) filtersQuery = ui.q.value.trim();
  go(withChange((p) => {
    const values = SINGLE.includes(key) ? [] : p.getAll(key).filter((v) => v !== value);
    if (on) values.push(value);
    p.delete(key);
    p.delete("page");
    values.forEach((v) => p.append(key, v));
  }));
}

function typed() {
  const text = ui.q.value.trim();
  if (text === query(params)) return null;
  params = withChange((p) => p.delete("page"));
  if (typingEntry) history.replaceState(null, "", pageUrl(params)); else history.pushState(null, "", pageUrl(params));
  typingEntry = true;
  return search();
}

// --- searching -------------------------------------------------------------------------
async function search({ scan = false } = {}) {
  clearTimeout(timer);
  const key = params.toString();
  if (!scan && key === lastShown) return;
  const mine = ++seq;
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  busy(ui.results, true);
  const q = query(params);
  const filtered = [...new Set(activeFilters(params).map(([k]) => k))].filter((k) => k !== "barcode");
  try {
    // each facet with a ticked value is counted without its own filter: its other values stay
    const [main, ...own] = await Promise.all([
      get(params, signal),
      ...filtered.map((k) => get(without(withSize(params, 1), [k, "page"]), signal)),
    ]);
    if (mine !== seq) return;
    if (!main.ok) { showError(main); return; }
    if (scan && q && !/\s/.test(q) && await openScanned(main, q, signal, mine)) return;
    if (mine !== seq) return;
    let unfiltered = null;
    if (!main.data.hits.total.value && activeFilters(params).length) {
      const res = await get(withSize(without(params, [...FILTER_KEYS, "page"]), 1), signal);
      if (mine !== seq) return;
      unfiltered = res.ok ? res.data.hits.total.value : null;
    }
    const ownBuckets = Object.fromEntries(filtered.map((k, i) => [k, own[i].ok ? own[i].data.aggregations?.[k] : null]));
    lastShown = key;
    render(main.data, ownBuckets, unfiltered);
  } catch (error) {
    if (error.name === "AbortError") return;
    if (mine === seq) showError({ data: {} });
  } finally {
    if (mine === seq) busy(ui.results, false);
  }
}

function withSize(p, size) {
  const next = new URLSearchParams(p);
  next.set("size", String(size));
  return next;
}

// a scan: the query is the barcode of exactly one patron (whatever the filters) -> the record
async function openScanned(main, q, signal, mine) {
  let hits = main.data.hits.hits.filter((hit) => exactBarcode(hit, q));
  if (hits.length !== 1 && activeFilters(params).length) {
    const res = await get(without(params, [...FILTER_KEYS, "page", "size"]), signal);
    if (mine !== seq || !res.ok) return false;
    hits = res.data.hits.hits.filter((hit) => exactBarcode(hit, q));
  }
  if (hits.length !== 1 || mine !== seq) return false;
  location.assign(`/staff/patrons/${hits[0].id}`);
  return true;
}

function showError(res) {
  lastShown = null;
  ui.results.replaceChildren(h("p", { class: "notice error", role: "alert" }, res.data.message || t("Search failed.")));
}

// --- rendering ---------------------------------------------------------------------------
function render(data, ownBuckets, unfiltered) {
  renderChips();
  renderFacets(data.aggregations || {}, ownBuckets);
  const total = data.hits.total.value;
  const hits = data.hits.hits;
  const page = Number(params.get("page") || 1);
  const size = Number(params.get("size") || 10);
  const summary = h("p", { class: "summary", id: "result-count" }, tn("%(num)s patron", "%(num)s patrons", total));
  if (!hits.length) {
    const filters = activeFilters(params).length;
    const empty = h("div", { class: "empty" },
      h("p", {}, filters ? t("No patron matches this search with the active filters.") : t("No patron matches this search.")));
    if (filters && unfiltered) {
      empty.append(h("button", { type: "button", class: "primary", id: "search-without-filters", onclick: clearFilters },
        tn("Show the %(num)s patron found without the filters", "Show the %(num)s patrons found without the filters", unfiltered)));
    }
    ui.results.replaceChildren(summary, empty);
    return;
  }
  const heads = [t("Name"), t("Barcode"), t("Birth date"), t("City"), t("Roles"), t("Patron type"), t("Expiry date"), t("Status")];
  const table = h("table", { class: "table patrons-table", "aria-describedby": "result-count" },
    h("thead", {}, h("tr", {}, heads.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, hits.map((hit) => patronRow(hit, heads, query(params)))));
  ui.results.replaceChildren(...[summary, h("div", { class: "table-wrap" }, table), pager(total, page, size)].filter(Boolean));
}

function clearFilters() {
  filtersQuery = null;
  go(without(params, [...FILTER_KEYS, "page"]));
}

function renderChips() {
  const active = activeFilters(params);
  ui.toggleCount.textContent = active.length ? `(${active.length})` : "";
  ui.chips.hidden = !active.length;
  if (!active.length) { filtersQuery = null; ui.chips.replaceChildren(); return; }
  // a new query with filters chosen for another one: said plainly, not carried over silently
  const kept = filtersQuery !== null && filtersQuery !== query(params);
  ui.chips.classList.toggle("kept", kept);
  const chips = active.map(([key, value]) => {
    const text = `${TITLES.get(key)}: ${facetLabel(key, value)}`;
    return h("li", {}, h("button", {
      type: "button", class: "chip", "data-facet": key, "data-value": value,
      "aria-label": t("Remove the filter %(filter)s", { filter: text }),
      onclick: () => setFilter(key, value, false),
    }, h("span", {}, text), h("span", { class: "chip-x", "aria-hidden": "true" }, "×")));
  });
  ui.chips.replaceChildren(
    h("p", { class: "chips-title" }, kept ? t("Filters still active from your previous search:") : t("Active filters:")),
    h("ul", { class: "chips" }, chips),
    h("button", { type: "button", class: "clear-filters", onclick: clearFilters }, t("Clear all filters")));
}

function renderFacets(aggregations, ownBuckets) {
  const box = ui.facets;
  box.replaceChildren(h("h2", { class: "visually-hidden" }, t("Refine")));
  for (const [key, title] of FACETS) {
    const chosen = params.getAll(key);
    let source = aggregations[key];
    let kept = false;
    if (chosen.length) {
      // the facet's own counts (without its filter); else the list seen before, marked
      if (ownBuckets[key]) source = ownBuckets[key];
      else if (previousBuckets[key]) { source = previousBuckets[key]; kept = true; }
    }
    if (!chosen.length || ownBuckets[key]) previousBuckets[key] = source;
    const buckets = (source?.buckets || []).map((b) => ({ key: String(b.key_as_string ?? b.key), count: b.doc_count }));
    for (const value of chosen) if (!buckets.some((b) => b.key === value)) buckets.push({ key: value, count: 0 });
    const visible = buckets.filter((b) => b.count > 0 || chosen.includes(b.key));
    if (!visible.length) continue;
    const list = h("ul", {});
    for (const bucket of visible) {
      const id = `facet-${key}-${bucket.key}`.replace(/[^\w-]/g, "_");
      const checkbox = h("input", { type: "checkbox", id, value: bucket.key, checked: chosen.includes(bucket.key), "data-facet": key });
      checkbox.addEventListener("change", () => setFilter(key, bucket.key, checkbox.checked));
      list.append(h("li", {}, checkbox, h("label", { for: id }, facetLabel(key, bucket.key), " ", h("span", { class: "count" }, `(${bucket.count})`))));
    }
    const legend = h("legend", {}, title);
    const fieldset = h("fieldset", { class: "facet", "data-facet": key }, legend, list);
    if (kept) fieldset.append(h("p", { class: "hint" }, t("Counts from the previous search.")));
    box.append(fieldset);
  }
}

function patronRow(hit, heads, q) {
  const m = hit.metadata;
  const user = m.user || {};
  const p = m.patron || {};
  const barcodes = p.barcode || [];
  const name = `${user.last_name || ""}, ${user.first_name || ""}`.replace(/^, |, $/g, "") || user.username || hit.id;
  const status = [];
  if (p.expired) status.push(badge(t("Expired"), "warn"));
  if (p.blocked) status.push(badge(t("Blocked"), "danger"));
  if (q && exactBarcode(hit, q)) status.push(badge(t("Barcode match"), "ok"));
  const cells = [
    [h("a", { href: `/staff/patrons/${hit.id}`, class: "name" }, name), user.username ? h("div", { class: "muted small" }, user.username) : null],
    barcodes.join(", "),
    formatDate(user.birth_date),
    user.city || "",
    (m.roles || []).map((r) => badge(roleLabel(r), r.startsWith("pro_") ? "pro" : "")),
    p.type ? labels.types[p.type.pid] || p.type.pid : "",
    [formatDate(p.expiration_date), p.expired ? h("span", { class: "visually-hidden" }, " " + t("(expired)")) : null],
    status,
  ];
  const classes = ["", "mono", "", "", "", "", p.expired ? "expired" : "", ""];
  // data-label: the column's name, shown next to the value where the table becomes cards (phones)
  return h("tr", { "data-pid": hit.id }, cells.map((content, i) => h("td", { class: classes[i] || null, "data-label": heads[i] }, h("div", {}, content))));
}

function pager(total, page, size) {
  const pages = Math.max(1, Math.ceil(total / size));
  if (pages <= 1) return null;
  const link = (n, text, rel) => {
    const next = withChange((p) => p.set("page", n));
    return h("a", {
      href: pageUrl(next), rel, class: "button",
      onclick: (event) => { event.preventDefault(); go(withChange((p) => p.set("page", n))); ui.results.scrollIntoView({ block: "start" }); },
    }, text);
  };
  return h("nav", { class: "pager", "aria-label": t("Pages") },
    page > 1 ? link(page - 1, "← " + t("Previous"), "prev") : null,
    h("span", {}, t("Page %(page)s of %(pages)s", { page, pages })),
    page < pages ? link(page + 1, t("Next") + " →", "next") : null);
}

export async function initPatrons() {
  Object.assign(ui, {
    form: $("#search-form"), q: $("#q"), sort: $("#sort"), results: $("#results"), facets: $("#facets"),
    chips: $("#active-filters"), toggle: $("#facets-toggle"), toggleCount: $("#facets-toggle-count"), layout: $("#search-layout"),
  });
  // Enter (a scanner ends with it): search now, never send the form
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    go(withChange((p) => p.delete("page")), { push: !typingEntry, scan: true });
  });
  ui.q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(typed, DEBOUNCE_MS); });
  ui.sort.addEventListener("change", () => go(withChange((p) => { if (ui.sort.value) p.set("sort", ui.sort.value); else p.delete("sort"); p.delete("page"); })));
  ui.toggle.addEventListener("click", () => {
    const open = ui.toggle.getAttribute("aria-expanded") !== "true";
    ui.toggle.setAttribute("aria-expanded", String(open));
    ui.layout.classList.toggle("facets-open", open);
  });
  window.addEventListener("popstate", () => {
    params = paramsFrom(location.search);
    ui.q.value = params.get("q") || "";
    ui.sort.value = params.get("sort") || "";
    typingEntry = false;
    search();
  });
  if (activeFilters(params).length) filtersQuery = query(params);
  // the form went by itself (Enter before this script ran): a scan, once (Back does not repeat it)
  const scanned = new URLSearchParams(location.search).get("scan") === "1";
  if (scanned) history.replaceState(null, "", pageUrl(params));
  const [types, libraries] = await Promise.all([names("patron_types"), names("libraries")]);
  labels = { types, libraries };
  // typed while the labels loaded: the box wins over the URL (a search clears the pending
  // debounce, so searching the URL's query here would drop what was typed)
  await (typed() || search({ scan: scanned }));
}
