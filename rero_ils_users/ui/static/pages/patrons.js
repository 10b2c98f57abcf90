// The patron search: query, facets, sort, paging, all in the URL.
import { $, $$, FACETS, SEARCH_KEYS, roleLabel, h, t, tn, badge, busy, api, names, formatDate } from "../common.js";

function searchParams() {
  const params = new URLSearchParams(location.search);
  const out = new URLSearchParams();
  for (const [k, v] of params) if (SEARCH_KEYS.includes(k) && v !== "") out.append(k, v);
  return out;
}

function urlWith(mutate) {
  const params = searchParams();
  mutate(params);
  const qs = params.toString();
  return "/staff/patrons" + (qs ? "?" + qs : "");
}

function facetLabel(key, bucketKey, labels) {
  if (key === "roles") return roleLabel(bucketKey);
  if (key === "patron_type") return labels.types[bucketKey] || bucketKey;
  if (key === "library") return labels.libraries[bucketKey] || bucketKey;
  if (key === "blocked" || key === "expired") return bucketKey === "true" ? t("Yes") : t("No");
  return bucketKey;
}

function renderFacets(aggregations, labels) {
  const params = searchParams();
  const box = $("#facets");
  box.replaceChildren(h("h2", { class: "visually-hidden" }, t("Refine")));
  for (const [key, title] of FACETS) {
    const buckets = (aggregations[key]?.buckets || []).map((b) => ({ key: String(b.key_as_string ?? b.key), count: b.doc_count }));
    const chosen = params.getAll(key);
    for (const value of chosen) if (!buckets.some((b) => b.key === value)) buckets.push({ key: value, count: 0 });
    const visible = buckets.filter((b) => b.count > 0 || chosen.includes(b.key));
    if (!visible.length) continue;
    const list = h("ul", {});
    for (const bucket of visible) {
      const id = `facet-${key}-${bucket.key}`.replace(/[^\w-]/g, "_");
      const checkbox = h("input", { type: "checkbox", id, value: bucket.key, checked: chosen.includes(bucket.key), "data-facet": key });
      checkbox.addEventListener("change", () => {
        location.assign(urlWith((p) => {
          const values = p.getAll(key).filter((v) => v !== bucket.key);
          if (checkbox.checked) values.push(bucket.key);
          p.delete(key);
          p.delete("page");
          values.forEach((v) => p.append(key, v));
        }));
      });
      list.append(h("li", {}, checkbox, h("label", { for: id }, facetLabel(key, bucket.key, labels), " ", h("span", { class: "count" }, `(${bucket.count})`))));
    }
    box.append(h("fieldset", { class: "facet" }, h("legend", {}, title), list));
  }
}

function patronRow(hit, labels, q) {
  const m = hit.metadata;
  const user = m.user || {};
  const p = m.patron || {};
  const barcodes = p.barcode || [];
  const name = `${user.last_name || ""}, ${user.first_name || ""}`.replace(/^, |, $/g, "") || user.username || hit.id;
  const status = [];
  if (p.expired) status.push(badge(t("Expired"), "warn"));
  if (p.blocked) status.push(badge(t("Blocked"), "danger"));
  if (q && barcodes.includes(q)) status.push(badge(t("Barcode match"), "ok"));
  return h("tr", { "data-pid": hit.id },
    h("td", {}, h("a", { href: `/staff/patrons/${hit.id}`, class: "name" }, name), user.username ? h("div", { class: "muted small" }, user.username) : null),
    h("td", { class: "mono" }, barcodes.join(", ")),
    h("td", {}, formatDate(user.birth_date)),
    h("td", {}, user.city || ""),
    h("td", {}, (m.roles || []).map((r) => badge(roleLabel(r), r.startsWith("pro_") ? "pro" : ""))),
    h("td", {}, p.type ? labels.types[p.type.pid] || p.type.pid : ""),
    h("td", { class: p.expired ? "expired" : "" }, formatDate(p.expiration_date), p.expired ? h("span", { class: "visually-hidden" }, " " + t("(expired)")) : null),
    h("td", {}, status));
}

function pager(total, page, size) {
  const pages = Math.max(1, Math.ceil(total / size));
  if (pages <= 1) return null;
  const link = (n, text, rel) => h("a", { href: urlWith((p) => p.set("page", n)), rel, class: "button" }, text);
  return h("nav", { class: "pager", "aria-label": t("Pages") },
    page > 1 ? link(page - 1, "← " + t("Previous"), "prev") : null,
    h("span", {}, t("Page %(page)s of %(pages)s", { page, pages })),
    page < pages ? link(page + 1, t("Next") + " →", "next") : null);
}

export async function initPatrons() {
  const form = $("#search-form");
  $("#sort").addEventListener("change", () => form.requestSubmit());
  form.addEventListener("submit", () => {
    // a new query starts again at page 1
    $$('input[type=hidden][name="page"]', form).forEach((el) => el.remove());
  });
  const params = searchParams();
  const results = $("#results");
  const [res, types, libraries] = await Promise.all([
    api("GET", "/api/patrons/?" + params.toString()), names("patron_types"), names("libraries"),
  ]);
  busy(results, false);
  if (!res.ok) { results.replaceChildren(h("p", { class: "notice error", role: "alert" }, res.data.message || t("Search failed."))); return; }
  const labels = { types, libraries };
  renderFacets(res.data.aggregations || {}, labels);
  const total = res.data.hits.total.value;
  const hits = res.data.hits.hits;
  const page = Number(params.get("page") || 1);
  const size = Number(params.get("size") || 10);
  const q = (params.get("q") || "").trim();
  const summary = h("p", { class: "summary", id: "result-count" }, tn("%(num)s patron", "%(num)s patrons", total));
  if (!hits.length) { results.replaceChildren(summary, h("p", { class: "empty" }, t("No patron matches this search."))); return; }
  const table = h("table", { class: "table", "aria-describedby": "result-count" },
    h("thead", {}, h("tr", {}, [t("Name"), t("Barcode"), t("Birth date"), t("City"), t("Roles"), t("Patron type"), t("Expiry date"), t("Status")].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, hits.map((hit) => patronRow(hit, labels, q))));
  results.replaceChildren(...[summary, h("div", { class: "table-wrap" }, table), pager(total, page, size)].filter(Boolean));
}
