// The pages' behaviour: every datum comes from the REST API (/api/), rendered here.
// One module, no build step; each page is picked by <body data-page>.

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

const ROLE_LABELS = {
  patron: "patron",
  pro_full_permissions: "pro: full permissions",
  pro_library_administrator: "pro: library administrator",
  pro_read_only: "pro: read only",
  pro_catalog_manager: "pro: catalog manager",
  pro_circulation_manager: "pro: circulation",
  pro_user_manager: "pro: user manager",
  pro_acquisition_manager: "pro: acquisition manager",
  pro_entity_manager: "pro: entity manager",
  pro_statistic_manager: "pro: statistics",
  any_user: "any user",
  authenticated_user: "authenticated user",
  superuser: "superuser",
  admin: "admin",
  monitoring: "monitoring",
  document_importer: "document importer",
};
const LOGIN_MESSAGES = {
  INVALID_USER_OR_PASSWORD: "Wrong login or password.",
  TOO_MANY_ATTEMPTS: "Too many failed attempts: this login is locked for 15 minutes.",
  ACCOUNT_EXPIRED: "Your account has expired. Please contact your library.",
};
const LANGUAGES = { eng: "English", fre: "French", ger: "German", ita: "Italian" };
const FACETS = [
  ["roles", "Roles"],
  ["patron_type", "Patron type"],
  ["library", "Library"],
  ["city", "City"],
  ["blocked", "Blocked"],
  ["expired", "Expired"],
  ["local_codes", "Local codes"],
];
const SEARCH_KEYS = ["q", "sort", "page", "size", "barcode", ...FACETS.map(([k]) => k)];
const roleLabel = (role) => ROLE_LABELS[role] || role;

// --- small DOM helpers --------------------------------------------------------------
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
const badge = (text, kind = "") => h("span", { class: `badge ${kind}` }, text);
function dl(pairs) {
  return h("dl", { class: "pairs" }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && !v.length))
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}
function show(el, visible) { el.hidden = !visible; }
function busy(el, value) { el.setAttribute("aria-busy", value ? "true" : "false"); }

// --- the API ---------------------------------------------------------------------------
function csrfToken() { return $('meta[name="csrf-token"]')?.content || ""; }

async function api(method, url, body) {
  const send = async () => {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
    const res = await fetch(url, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
    let data = null;
    if (res.status !== 204) { try { data = await res.json(); } catch { data = null; } }
    return { status: res.status, ok: res.ok, data: data || {}, headers: res.headers };
  };
  let res = await send();
  if (res.status === 400 && /csrf/i.test(res.data.message || "") && method !== "GET") {
    // the page's token went stale (a new session): ask for the current one, try once more
    const session = await fetch("/api/login", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (session.ok) { $('meta[name="csrf-token"]').content = (await session.json()).csrf_token; res = await send(); }
  }
  if (res.status === 401 && document.body.dataset.page !== "login") {
    location.assign("/?next=" + encodeURIComponent(location.pathname + location.search));
  }
  return res;
}

// --- forms and their errors -----------------------------------------------------------
function clearErrors(form) {
  $$(".field-error", form).forEach((el) => el.remove());
  $$("[aria-invalid]", form).forEach((el) => el.removeAttribute("aria-invalid"));
  $$(".has-error", form).forEach((el) => el.classList.remove("has-error"));
  const alert = $(".form-alert", form);
  if (alert) { alert.hidden = true; alert.textContent = ""; alert.className = "form-alert"; }
}

function fieldFor(form, name) {
  // the most precise [data-field] naming this error: "patron.barcode.0" -> "patron.barcode"
  let best = null;
  for (const el of $$("[data-field]", form)) {
    const f = el.dataset.field;
    if ((name === f || name.startsWith(f + ".")) && (!best || f.length > best.dataset.field.length)) best = el;
  }
  return best;
}

function formAlert(form, message, kind = "error") {
  const alert = $(".form-alert", form);
  alert.className = `form-alert ${kind}`;
  alert.textContent = message;
  alert.hidden = false;
}

function showErrors(form, data) {
  clearErrors(form);
  const general = [];
  (data.errors || []).forEach((error, i) => {
    const field = error.field ? fieldFor(form, error.field) : null;
    if (!field) { general.push(error.field ? `${error.field}: ${error.message}` : error.message); return; }
    field.classList.add("has-error");
    const id = `err-${field.dataset.field.replace(/\W/g, "-")}-${i}`;
    const message = h("p", { class: "field-error", id }, error.message);
    if (field.tagName === "FIELDSET") field.querySelector("legend").after(message); else field.append(message);
    const input = field.querySelector("input:not([type=checkbox]), select, textarea") || field.querySelector("input");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
    }
  });
  const summary = [data.message || "Something went wrong.", ...general].join(" ");
  formAlert(form, summary);
  ($("[aria-invalid]", form) || $(".form-alert", form)).focus?.();
}

function fill(form, data) {
  for (const el of $$("input[name], select[name], textarea[name]", form)) {
    if (!(el.name in data)) continue;
    if (el.type === "checkbox") el.checked = !!data[el.name]; else el.value = data[el.name] ?? "";
  }
}

const PERSONAL = ["username", "email", "first_name", "last_name", "birth_date", "gender", "street", "postal_code", "city", "country",
  "home_phone", "business_phone", "mobile_phone", "other_phone"];

function personalData(form) {
  const data = {};
  for (const name of PERSONAL) {
    const el = form.elements[name];
    if (el && el.value.trim()) data[name] = el.value.trim();
  }
  data.keep_history = form.elements.keep_history.checked;
  return data;
}

const ref = (resource, pid) => ({ $ref: `${location.origin}/api/${resource}/${pid}` });

// --- page: login --------------------------------------------------------------------------
function safeNext() {
  const next = new URLSearchParams(location.search).get("next") || "";
  return next.startsWith("/") && !next.startsWith("//") ? next : "";
}

function initLogin() {
  const form = $("#login-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const res = await api("POST", "/api/login", { login: form.elements.login.value.trim(), password: form.elements.password.value });
    if (!res.ok) {
      const message = res.data.message || "";
      formAlert(form, LOGIN_MESSAGES[message] || (res.data.errors || []).map((e) => e.message).join(" ") || message || "Login failed.");
      form.elements.password.value = "";
      form.elements.password.focus();
      return;
    }
    const me = await api("GET", "/api/permissions/me");
    const roles = me.data.roles || [];
    const staff = roles.some((r) => r.startsWith("pro_")) || roles.includes("superuser");
    location.assign(safeNext() || (staff ? "/staff/patrons" : "/account"));
  });
  const forgot = $("#forgot-form");
  forgot.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(forgot);
    const res = await api("POST", "/api/password/forgot", { email: forgot.elements.email.value.trim() });
    if (res.ok) formAlert(forgot, res.data.message || "If this address is known, a reset link is on its way.", "success");
    else showErrors(forgot, res.data);
  });
}

function initReset() {
  const form = $("#reset-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const res = await api("POST", "/api/password/reset", { token: form.dataset.token, password: form.elements.password.value });
    if (!res.ok) return showErrors(form, res.data);
    clearErrors(form);
    formAlert(form, "Your password was changed. You can now log in.", "success");
    form.querySelector("button").replaceWith(h("a", { class: "button primary", href: "/" }, "Log in"));
  });
}

// --- labels for pids (patron types, libraries) -----------------------------------------
async function names(resource) {
  const res = await api("GET", `/api/${resource}/?size=1000`);
  const map = {};
  for (const hit of res.data.hits?.hits || []) map[hit.id] = hit.metadata.name || hit.id;
  return map;
}

// --- page: patron search ------------------------------------------------------------------
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
  if (key === "blocked" || key === "expired") return bucketKey === "true" ? "Yes" : "No";
  return bucketKey;
}

function renderFacets(aggregations, labels) {
  const params = searchParams();
  const box = $("#facets");
  box.replaceChildren(h("h2", { class: "visually-hidden" }, "Refine"));
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
  if (p.expired) status.push(badge("Expired", "warn"));
  if (p.blocked) status.push(badge("Blocked", "danger"));
  if (q && barcodes.includes(q)) status.push(badge("Barcode match", "ok"));
  return h("tr", { "data-pid": hit.id },
    h("td", {}, h("a", { href: `/staff/patrons/${hit.id}`, class: "name" }, name), user.username ? h("div", { class: "muted small" }, user.username) : null),
    h("td", { class: "mono" }, barcodes.join(", ")),
    h("td", {}, user.birth_date || ""),
    h("td", {}, user.city || ""),
    h("td", {}, (m.roles || []).map((r) => badge(roleLabel(r), r.startsWith("pro_") ? "pro" : ""))),
    h("td", {}, p.type ? labels.types[p.type.pid] || p.type.pid : ""),
    h("td", { class: p.expired ? "expired" : "" }, p.expiration_date || "", p.expired ? h("span", { class: "visually-hidden" }, " (expired)") : null),
    h("td", {}, status));
}

function pager(total, page, size) {
  const pages = Math.max(1, Math.ceil(total / size));
  if (pages <= 1) return null;
  const link = (n, text, rel) => h("a", { href: urlWith((p) => p.set("page", n)), rel, class: "button" }, text);
  return h("nav", { class: "pager", "aria-label": "Pages" },
    page > 1 ? link(page - 1, "← Previous", "prev") : null,
    h("span", {}, `Page ${page} of ${pages}`),
    page < pages ? link(page + 1, "Next →", "next") : null);
}

async function initPatrons() {
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
  if (!res.ok) { results.replaceChildren(h("p", { class: "notice error", role: "alert" }, res.data.message || "Search failed.")); return; }
  const labels = { types, libraries };
  renderFacets(res.data.aggregations || {}, labels);
  const total = res.data.hits.total.value;
  const hits = res.data.hits.hits;
  const page = Number(params.get("page") || 1);
  const size = Number(params.get("size") || 10);
  const q = (params.get("q") || "").trim();
  const summary = h("p", { class: "summary", id: "result-count" }, `${total} patron${total === 1 ? "" : "s"}`);
  if (!hits.length) { results.replaceChildren(summary, h("p", { class: "empty" }, "No patron matches this search.")); return; }
  const table = h("table", { class: "table", "aria-describedby": "result-count" },
    h("thead", {}, h("tr", {}, ["Name", "Barcode", "Birth date", "City", "Roles", "Patron type", "Expiry date", "Status"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, hits.map((hit) => patronRow(hit, labels, q))));
  results.replaceChildren(...[summary, h("div", { class: "table-wrap" }, table), pager(total, page, size)].filter(Boolean));
}

// --- page: patron detail ----------------------------------------------------------------
function permissionTable(lines) {
  const filter = h("input", { type: "search", id: "perm-filter", placeholder: "e.g. ptrn", autocomplete: "off" });
  const onlyAllowed = h("input", { type: "checkbox", id: "perm-allowed" });
  const body = h("tbody", {});
  lines.forEach((line, i) => {
    const detailId = `perm-detail-${i}`;
    const toggle = h("button", { type: "button", class: "linklike", "aria-expanded": "false", "aria-controls": detailId }, line.action);
    const detail = h("tr", { id: detailId, class: "perm-detail", hidden: true },
      h("td", { colspan: "2" },
        line.roles.length ? h("p", {}, "Granted by: ", line.roles.map((r) => badge(roleLabel(r), "pro"))) : h("p", {}, "No role of this person grants it."),
        (line.denied_by || []).map((d) => h("p", { class: "deny" }, `Denied for this user by ${d.by} on ${d.at}.`))));
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      detail.hidden = !open;
    });
    const row = h("tr", { class: line.can ? "allowed" : "refused", "data-action": line.action },
      h("td", {}, toggle),
      h("td", {}, line.can ? h("span", { class: "yes" }, "✓ Allowed") : h("span", { class: "no" }, "✗ Not allowed")));
    row.detail = detail;
    body.append(row, detail);
  });
  const apply = () => {
    const text = filter.value.trim().toLowerCase();
    for (const row of $$("tr[data-action]", body)) {
      const visible = row.dataset.action.includes(text) && (!onlyAllowed.checked || row.classList.contains("allowed"));
      row.hidden = !visible;
      if (!visible) row.detail.hidden = true; else row.detail.hidden = row.querySelector("button").getAttribute("aria-expanded") !== "true";
    }
  };
  filter.addEventListener("input", apply);
  onlyAllowed.addEventListener("change", apply);
  return h("div", {},
    h("div", { class: "searchbar" }, h("label", { for: "perm-filter" }, "Filter actions"), filter,
      h("span", { class: "check" }, onlyAllowed, h("label", { for: "perm-allowed" }, "Allowed only"))),
    h("div", { class: "table-wrap tall" }, h("table", { class: "table perms", id: "permissions-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Action (expand to see why)"), h("th", { scope: "col" }, "For this person"))), body)));
}

async function initPatron() {
  const box = $("#patron");
  const pid = box.dataset.pid;
  const [rec, buttons, circ, recipients, perms, types, libraries] = await Promise.all([
    api("GET", `/api/patrons/${pid}`), api("GET", `/api/permissions/patrons/${pid}`),
    api("GET", `/api/patrons/${pid}/circulation?action=checkout`), api("GET", `/api/patrons/${pid}/notification_recipients`),
    api("GET", `/api/patrons/${pid}/permissions`), names("patron_types"), names("libraries"),
  ]);
  busy(box, false);
  if (!rec.ok) { box.replaceChildren(h("h1", {}, "Patron"), h("p", { class: "notice error", role: "alert" }, rec.data.message || "Not found.")); return; }
  const m = rec.data.metadata;
  const user = m.user || {};
  const p = m.patron || {};
  document.title = `${user.first_name} ${user.last_name} · rero-ils-users`;
  const actions = h("div", { class: "actions" });
  if (buttons.data.update?.can) actions.append(h("a", { class: "button", href: `/staff/patrons/${pid}/edit` }, "Edit"));
  if (buttons.data.delete?.can) {
    actions.append(h("button", { type: "button", class: "danger", id: "delete-patron", onclick: async () => {
      if (!confirm(`Delete the patron record of ${user.first_name} ${user.last_name}? Their personal data and their other organisations stay.`)) return;
      const res = await api("DELETE", `/api/patrons/${pid}`);
      if (res.ok) location.assign("/staff/patrons?deleted=" + encodeURIComponent(pid));
      else alert(res.data.message || "Delete refused.");
    } }, "Delete"));
  }
  const notices = [];
  const params = new URLSearchParams(location.search);
  if (params.get("created")) notices.push(h("p", { class: "notice success", role: "status" }, "The patron was registered."));
  if (params.get("saved")) notices.push(h("p", { class: "notice success", role: "status" }, "Saved."));
  const address = [user.street, [user.postal_code, user.city].filter(Boolean).join(" "), (user.country || "").toUpperCase()].filter(Boolean).join(", ");
  const phones = ["mobile_phone", "home_phone", "business_phone", "other_phone"].map((k) => user[k]).filter(Boolean).join(", ");
  const notes = m.notes || [];
  const personal = dl([
    ["Username", user.username], ["E-mail", user.email], ["Birth date", user.birth_date], ["Gender", user.gender],
    ["Address", address], ["Phones", phones], ["Keep history", user.keep_history ? "Yes" : "No"],
  ]);
  const management = dl([
    ["Roles", (m.roles || []).map((r) => badge(roleLabel(r), r.startsWith("pro_") ? "pro" : ""))],
    ["Barcode", (p.barcode || []).join(", ")],
    ["Patron type", p.type ? types[p.type.pid] || p.type.pid : ""],
    ["Expiry date", p.expiration_date ? [p.expiration_date, p.expired ? badge("Expired", "warn") : null] : ""],
    ["Communication", p.communication_channel ? `${p.communication_channel === "email" ? "E-mail" : "Mail"}, ${LANGUAGES[p.communication_language] || p.communication_language}` : ""],
    ["Additional e-mail", p.additional_communication_email],
    ["Blocked", p.blocked ? [badge("Blocked", "danger"), " ", p.blocked_note || ""] : ""],
    ["Affiliation libraries", (m.libraries || []).map((l) => libraries[l.pid] || l.pid).join(", ")],
    ["Local codes", (m.local_codes || []).join(", ")],
    ...notes.map((n) => [n.type === "staff_note" ? "Staff note" : "Public note", n.content]),
  ]);
  const c = circ.data;
  const circulation = circ.ok ? (c.allowed ? h("p", { class: "yes" }, "✓ Checkouts allowed")
    : h("div", {}, h("p", { class: "no" }, "✗ Checkouts not allowed"), h("ul", {}, (c.messages || c.reasons || []).map((t) => h("li", {}, t)))))
    : h("p", { class: "muted" }, circ.data.message || "");
  const r = recipients.data;
  const notify = r.channel ? dl([["Channel", r.channel === "email" ? "E-mail" : "Mail (printed by the library)"], ["Recipients", (r.recipients || []).join(", ") || "none"], ["Language", LANGUAGES[r.language] || r.language]])
    : h("p", { class: "muted" }, "No notifications (not a patron).");
  box.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, `${user.first_name || ""} ${user.last_name || ""}`,
      p.blocked ? badge("Blocked", "danger") : null, p.expired ? badge("Expired", "warn") : null), actions),
    ...notices,
    h("div", { class: "columns" },
      h("section", { class: "card" }, h("h2", {}, "Personal data"), personal),
      h("section", { class: "card" }, h("h2", {}, "Management data"), management)),
    h("div", { class: "columns" },
      h("section", { class: "card", id: "circulation" }, h("h2", {}, "Circulation"), circulation),
      h("section", { class: "card", id: "recipients" }, h("h2", {}, "Notification recipients"), notify)),
    h("section", { class: "card", id: "permissions" }, h("h2", {}, "Permissions of this person"),
      perms.ok ? permissionTable(perms.data) : h("p", { class: "muted" }, perms.data.message || "")));
}

// --- page: register / edit ------------------------------------------------------------------
function step(name) {
  for (const li of $$(".steps li")) li.classList.toggle("current", li.dataset.step === name);
  const section = $(`#step-${name}`);
  show(section, true);
  section.scrollIntoView({ block: "start" });
}

function managementToggles(form) {
  const roles = () => $$('input[name="roles"]:checked', form).map((el) => el.value);
  const sync = () => {
    const chosen = roles();
    show($("#patron-fields"), chosen.includes("patron"));
    const pro = chosen.some((r) => r.startsWith("pro_"));
    show($("#libraries-req"), pro);
    $("#libraries-field").classList.toggle("required", pro);
    show($("#additional-email-field"), form.elements.communication_channel.value === "email");
    show($("#blocked-note-field"), form.elements.blocked.checked);
  };
  form.addEventListener("change", sync);
  sync();
  return roles;
}

function managementData(form, roles, state) {
  const chosen = roles();
  const data = { user_id: state.userId, organisation: ref("organisations", state.organisation), roles: chosen };
  const libs = $$('input[name="libraries"]:checked', form).map((el) => ref("libraries", el.value));
  if (libs.length) data.libraries = libs;
  if (chosen.includes("patron")) {
    const e = form.elements;
    const patron = {
      barcode: e.barcode.value.split(",").map((b) => b.trim()).filter(Boolean),
      communication_channel: e.communication_channel.value,
      communication_language: e.communication_language.value,
    };
    if (e.patron_type.value) patron.type = ref("patron_types", e.patron_type.value);
    if (e.expiration_date.value) patron.expiration_date = e.expiration_date.value;
    if (patron.communication_channel === "email" && e.additional_communication_email.value.trim()) {
      patron.additional_communication_email = e.additional_communication_email.value.trim();
    }
    if (e.blocked.checked) { patron.blocked = true; patron.blocked_note = e.blocked_note.value.trim(); }
    if (state.existing?.patron?.second_address) patron.second_address = state.existing.patron.second_address;
    data.patron = patron;
  }
  const codes = form.elements.local_codes.value.split(",").map((c) => c.trim()).filter(Boolean);
  if (codes.length) data.local_codes = codes;
  const notes = [];
  for (const type of ["public_note", "staff_note"]) {
    const content = form.elements[type].value.trim();
    if (content) notes.push({ type, content });
  }
  if (notes.length) data.notes = notes;
  if (state.existing?.second_address) data.second_address = state.existing.second_address;
  return data;
}

function fillManagement(form, m) {
  const p = m.patron || {};
  for (const el of $$('input[name="roles"]', form)) el.checked = (m.roles || []).includes(el.value);
  for (const el of $$('input[name="libraries"]', form)) el.checked = (m.libraries || []).some((l) => l.pid === el.value);
  const e = form.elements;
  e.barcode.value = (p.barcode || []).join(", ");
  if (p.type) e.patron_type.value = p.type.pid;
  if (p.communication_channel) e.communication_channel.value = p.communication_channel;
  if (p.communication_language) e.communication_language.value = p.communication_language;
  e.expiration_date.value = p.expiration_date || "";
  e.additional_communication_email.value = p.additional_communication_email || "";
  e.blocked.checked = !!p.blocked;
  e.blocked_note.value = p.blocked_note || "";
  e.local_codes.value = (m.local_codes || []).join(", ");
  for (const note of m.notes || []) if (e[note.type]) e[note.type].value = note.content;
}

function personBanner(user, extra) {
  return h("p", { class: "notice" }, `For ${user.first_name || ""} ${user.last_name || ""} (${user.username}${user.email ? ", " + user.email : ""}). `, extra || "");
}

async function initRegister() {
  const root = $("#register");
  const editPid = root.dataset.editPid;
  const state = { organisation: document.body.dataset.organisation, userId: null, existing: null };
  const personal = $("#personal-form");
  const management = $("#management-form");
  const assignable = (root.dataset.assignable || "").split(" ");
  for (const el of $$("[data-role-label]")) el.textContent = roleLabel(el.dataset.roleLabel);
  for (const el of $$('input[name="roles"]', management)) if (!assignable.includes(el.value)) el.closest("label").title = "You may not assign this role.";
  const [types, libraries] = await Promise.all([names("patron_types"), names("libraries")]);
  for (const [pid, name] of Object.entries(types)) management.elements.patron_type.append(h("option", { value: pid }, name));
  $("#libraries").replaceChildren(...Object.entries(libraries).map(([pid, name]) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "libraries", value: pid }), " ", name)));
  const roles = managementToggles(management);
  const nextYear = new Date(); nextYear.setFullYear(nextYear.getFullYear() + 1);
  management.elements.expiration_date.value = nextYear.toISOString().slice(0, 10);

  $("#generate-password").addEventListener("click", async () => {
    const res = await api("GET", "/api/user/password/generate?length=12");
    if (res.ok) { personal.elements.password.value = res.data.password; personal.elements.password.focus(); }
  });

  const toManagement = (user) => {
    state.userId = user.id;
    $("#person-banner").replaceChildren(personBanner(user.metadata || user));
    step("management");
    $('input[name="roles"]:not(:disabled)', management)?.focus();
  };

  if (editPid) {
    const rec = await api("GET", `/api/patrons/${editPid}`);
    if (!rec.ok) { root.replaceChildren(h("p", { class: "notice error", role: "alert" }, rec.data.message || "Not found.")); return; }
    state.existing = rec.data.metadata;
    state.userId = rec.data.metadata.user_id;
    state.revision = rec.data.revision;
    const user = await api("GET", `/api/users/${state.userId}`);
    fill(personal, user.ok ? user.data.metadata : rec.data.metadata.user || {});
    state.user = user.ok ? user.data.metadata : null;
    $("#password-hint").textContent = "Leave empty to keep the current password. At least 8 characters, with a lowercase letter, an uppercase letter and a digit.";
    for (const title of $$("#register section > h2")) title.textContent = title.textContent.replace(/^\d\. /, "");
    fillManagement(management, state.existing);
    management.dispatchEvent(new Event("change"));
    step("personal");
    step("management");
    $("#person-banner").replaceChildren(personBanner(rec.data.metadata.user || {}, h("a", { href: `/staff/patrons/${editPid}` }, "Back to the patron")));
  }

  $("#lookup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = $("#lookup").value.trim();
    const out = $("#lookup-result");
    if (!value) return;
    const res = await api("GET", "/api/users/?q=" + encodeURIComponent(value));
    if (!res.ok) { out.replaceChildren(h("p", { class: "notice error", role: "alert" }, res.data.message || "Lookup failed.")); return; }
    const hit = res.data.hits.hits[0];
    $("#step-management").hidden = true;
    if (!hit) {
      out.replaceChildren(h("p", { class: "notice", role: "status" }, "No account found: fill in the personal data."));
      personal.reset();
      clearErrors(personal);
      personal.elements[value.includes("@") ? "email" : "username"].value = value;
      $("#personal-summary").replaceChildren();
      show(personal, true);
      step("personal");
      personal.elements.username.focus();
      return;
    }
    const user = hit.metadata;
    const mine = (user.patrons || []).find((p) => p.organisation.pid === state.organisation);
    if (mine) {
      out.replaceChildren(h("p", { class: "notice warn", role: "status" }, `${user.first_name} ${user.last_name} is already registered in your organisation. `,
        h("a", { href: `/staff/patrons/${mine.pid}` }, "Open the patron record")));
      $("#step-personal").hidden = true;
      return;
    }
    out.replaceChildren(h("p", { class: "notice success", role: "status" }, "An account exists: its personal data will be used for this patron."));
    $("#personal-summary").replaceChildren(dl([
      ["Name", `${user.first_name || ""} ${user.last_name || ""}`], ["Username", user.username], ["E-mail", user.email],
      ["Birth date", user.birth_date], ["City", user.city]]),
    h("div", { class: "actions" }, h("button", { type: "button", class: "primary", id: "use-account", onclick: () => toManagement(hit) }, "Use this personal data")));
    show(personal, false);
    step("personal");
  });

  personal.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = personalData(personal);
    if (personal.elements.password.value) data.password = personal.elements.password.value;
    let res;
    if (state.userId) {
      const body = { ...data };
      res = await api("PUT", `/api/users/${state.userId}`, body);
    } else {
      res = await api("POST", "/api/users/", data);
    }
    if (!res.ok) return showErrors(personal, res.data);
    clearErrors(personal);
    personal.elements.password.value = "";
    if (res.data.generated_password) {
      formAlert(personal, "", "success");
      $(".form-alert", personal).replaceChildren("Account created. Generated password (shown only this once, give it to the patron now): ",
        h("code", { id: "generated-password" }, res.data.generated_password));
    } else {
      formAlert(personal, state.userId ? "Personal data saved." : "Account created.", "success");
    }
    toManagement(res.data);
  });

  management.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!state.userId) return formAlert(management, "Save the personal data first.");
    const data = managementData(management, roles, state);
    const res = editPid ? await api("PUT", `/api/patrons/${editPid}`, data) : await api("POST", "/api/patrons/", data);
    if (!res.ok) return showErrors(management, res.data);
    location.assign(`/staff/patrons/${res.data.id}?${editPid ? "saved" : "created"}=1`);
  });
}

// --- page: the patron account ------------------------------------------------------------
async function initAccount() {
  const box = $("#account-records");
  const historyBox = $("#history");
  const userId = document.body.dataset.userId;
  const [records, user] = await Promise.all([api("GET", "/api/patrons/me"), api("GET", `/api/users/${userId}`)]);
  busy(box, false);
  const hits = records.ok ? records.data.hits.hits : [];
  if (!hits.length) {
    box.replaceChildren(h("p", { class: "notice" }, "You have no patron account in an organisation."));
    historyBox.replaceChildren(h("p", { class: "muted" }, "No history."));
  } else {
    box.replaceChildren(...hits.map((hit) => {
      const m = hit.metadata;
      const p = m.patron || {};
      return h("section", { class: "card", "data-pid": hit.id },
        h("h2", {}, m.organisation.name || m.organisation.pid, p.expired ? badge("Expired", "warn") : null, p.blocked ? badge("Blocked", "danger") : null),
        dl([["Patron type", p.type?.name || p.type?.pid], ["Card number", (p.barcode || []).join(", ")],
          ["Expiry date", p.expiration_date], ["Blocked", p.blocked ? p.blocked_note || "Yes" : ""],
          ...(m.notes || []).filter((n) => n.type === "public_note").map((n) => ["Note from your library", n.content])]));
    }));
    const histories = await Promise.all(hits.map((hit) => api("GET", `/api/patrons/${hit.id}/history?size=100`)));
    const entries = histories.flatMap((res) => (res.ok ? res.data.hits.hits : []));
    entries.sort((a, b) => (b.metadata.date || "").localeCompare(a.metadata.date || ""));
    historyBox.replaceChildren(entries.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "table", id: "history-table" },
        h("thead", {}, h("tr", {}, ["Date", "Action", "Title", "Item barcode"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, entries.map((e) => h("tr", {}, h("td", {}, (e.metadata.date || "").replace("T", " ").slice(0, 16)), h("td", {}, e.metadata.action),
          h("td", {}, e.metadata.item?.title || ""), h("td", { class: "mono" }, e.metadata.item?.barcode || ""))))))
      : h("p", { class: "muted" }, user.data.metadata?.keep_history ? "No loans in your history yet." : "Your history is not kept. Tick \"Keep the circulation history\" below to keep it."));
  }
  const profile = $("#profile-form");
  if (user.ok) fill(profile, user.data.metadata);
  const keep = profile.elements.keep_history;
  keep.addEventListener("change", () => {
    if (!keep.checked && !confirm("Turning this off deletes your circulation history at once. Continue?")) keep.checked = true;
  });
  profile.addEventListener("submit", async (event) => {
    event.preventDefault();
    const res = await api("PUT", `/api/users/${userId}`, personalData(profile));
    if (!res.ok) return showErrors(profile, res.data);
    clearErrors(profile);
    fill(profile, res.data.metadata);
    formAlert(profile, "Your personal data was saved.", "success");
  });
  const pwd = $("#password-form");
  pwd.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { ...personalData(profile), current_password: pwd.elements.current_password.value, password: pwd.elements.password.value };
    const res = await api("PUT", `/api/users/${userId}`, body);
    if (!res.ok) return showErrors(pwd, res.data);
    pwd.reset();
    clearErrors(pwd);
    formAlert(pwd, "Your password was changed.", "success");
  });
}

// --- page: the permissions matrix ---------------------------------------------------------
async function initMatrix() {
  const box = $("#matrix");
  const res = await api("GET", "/api/permissions/matrix");
  busy(box, false);
  if (!res.ok) { box.replaceChildren(h("p", { class: "notice error", role: "alert" }, res.data.message || "Not allowed.")); return; }
  const { roles, actions, grants } = res.data;
  const body = h("tbody", {}, actions.map((action) => h("tr", { "data-action": action },
    h("th", { scope: "row" }, action),
    roles.map((role) => (grants[action] || []).includes(role)
      ? h("td", { class: "yes", title: `${roleLabel(role)}: ${action}` }, "✓", h("span", { class: "visually-hidden" }, " allowed"))
      : h("td", {}, h("span", { class: "visually-hidden" }, "not specified"))))));
  box.replaceChildren(h("table", { class: "table matrix", id: "matrix-table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Action"), roles.map((role) => h("th", { scope: "col", class: "role" }, h("span", {}, roleLabel(role)))))), body));
  $("#matrix-filter").addEventListener("input", (event) => {
    const text = event.target.value.trim().toLowerCase();
    for (const row of $$("tr[data-action]", body)) row.hidden = !row.dataset.action.includes(text);
  });
}

const PAGES = { login: initLogin, reset: initReset, patrons: initPatrons, patron: initPatron, register: initRegister, account: initAccount, matrix: initMatrix };
PAGES[document.body.dataset.page]?.();
