// What every page shares: labels, DOM helpers, the API client, forms and their errors.


export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

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
export const LOGIN_MESSAGES = {
  INVALID_USER_OR_PASSWORD: "Wrong login or password.",
  TOO_MANY_ATTEMPTS: "Too many failed attempts: this login is locked for 15 minutes.",
  ACCOUNT_EXPIRED: "Your account has expired. Please contact your library.",
};
export const LANGUAGES = { eng: "English", fre: "French", ger: "German", ita: "Italian" };
export const FACETS = [
  ["roles", "Roles"],
  ["patron_type", "Patron type"],
  ["library", "Library"],
  ["city", "City"],
  ["blocked", "Blocked"],
  ["expired", "Expired"],
  ["local_codes", "Local codes"],
];
export const SEARCH_KEYS = ["q", "sort", "page", "size", "barcode", ...FACETS.map(([k]) => k)];
export const roleLabel = (role) => ROLE_LABELS[role] || role;

// --- small DOM helpers --------------------------------------------------------------
export function h(tag, attrs = {}, ...children) {
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
export const badge = (text, kind = "") => h("span", { class: `badge ${kind}` }, text);
export function dl(pairs) {
  return h("dl", { class: "pairs" }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && !v.length))
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}
export function show(el, visible) { el.hidden = !visible; }
export function busy(el, value) { el.setAttribute("aria-busy", value ? "true" : "false"); }

// --- the API ---------------------------------------------------------------------------
function csrfToken() { return $('meta[name="csrf-token"]')?.content || ""; }

export async function api(method, url, body) {
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
export function clearErrors(form) {
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

export function formAlert(form, message, kind = "error") {
  const alert = $(".form-alert", form);
  alert.className = `form-alert ${kind}`;
  alert.textContent = message;
  alert.hidden = false;
}

export function showErrors(form, data) {
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

export function fill(form, data) {
  for (const el of $$("input[name], select[name], textarea[name]", form)) {
    if (!(el.name in data)) continue;
    if (el.type === "checkbox") el.checked = !!data[el.name]; else el.value = data[el.name] ?? "";
  }
}

const PERSONAL = ["username", "email", "first_name", "last_name", "birth_date", "gender", "street", "postal_code", "city", "country",
  "home_phone", "business_phone", "mobile_phone", "other_phone"];

export function personalData(form) {
  const data = {};
  for (const name of PERSONAL) {
    const el = form.elements[name];
    if (el && el.value.trim()) data[name] = el.value.trim();
  }
  data.keep_history = form.elements.keep_history.checked;
  return data;
}

export const ref = (resource, pid) => ({ $ref: `${location.origin}/api/${resource}/${pid}` });

// --- labels for pids (patron types, libraries) -----------------------------------------
export async function names(resource) {
  const res = await api("GET", `/api/${resource}/?size=1000`);
  const map = {};
  for (const hit of res.data.hits?.hits || []) map[hit.id] = hit.metadata.name || hit.id;
  return map;
}
