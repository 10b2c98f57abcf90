// What every page shares: labels, DOM helpers, the API client, forms and their errors.


export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// --- the page's language: its catalogue comes from the server (ui/localized.py) ----------
const CATALOG = JSON.parse(document.getElementById("i18n-catalog")?.textContent || "{}");
export const LANG = CATALOG.lang || document.documentElement.lang || "en";
const fillIn = (text, values) => text.replace(/%\((\w+)\)s/g, (m, k) => (k in values ? String(values[k]) : m));
// t("English text", {name: value}): the text in the page's language, %(name)s filled in
export function t(text, values = {}) {
  const entry = CATALOG.messages?.[text];
  return fillIn(typeof entry === "string" && entry ? entry : text, values);
}
// tn("%(num)s patron", "%(num)s patrons", n): the form the language uses for n
const PLURALS = new Intl.PluralRules(LANG);
const NUMBER = new Intl.NumberFormat(LANG);
export function tn(singular, plural, num, values = {}) {
  const entry = CATALOG.messages?.[singular];
  const form = PLURALS.select(num) === "one" ? "one" : "other";
  const text = entry?.[form] || (form === "one" ? singular : plural);
  return fillIn(text, { num: NUMBER.format(num), ...values });  // 12 345, 12.345, 12,345
}
// "YYYY-MM-DD" (or an ISO datetime) as the page's language writes it
const DATE = new Intl.DateTimeFormat(LANG, { dateStyle: "medium", timeZone: "UTC" });
const DATETIME = new Intl.DateTimeFormat(LANG, { dateStyle: "medium", timeStyle: "short" });
export function formatDate(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
  return m ? DATE.format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]))) : value || "";
}
export function formatDateTime(value) {
  const d = value ? new Date(value) : null;
  return d && !Number.isNaN(d.getTime()) ? DATETIME.format(d) : value || "";
}
export const PASSWORD_RULE = CATALOG.password_rule || "";

export const LOGIN_MESSAGES = {
  INVALID_USER_OR_PASSWORD: () => t("Wrong login or password."),
  TOO_MANY_ATTEMPTS: () => t("Too many failed attempts: this login is locked for %(minutes)s minutes.", { minutes: CATALOG.lockout_minutes }),
  ACCOUNT_EXPIRED: () => t("Your account has expired. Please contact your library."),
};
export const LANGUAGES = { eng: t("English"), fre: t("French"), ger: t("German"), ita: t("Italian") };
export const FACETS = [
  ["roles", t("Roles")],
  ["patron_type", t("Patron type")],
  ["library", t("Library")],
  ["city", t("City")],
  ["blocked", t("Blocked")],
  ["expired", t("Expired")],
  ["local_codes", t("Local codes")],
];
export const SEARCH_KEYS = ["q", "sort", "page", "size", "barcode", ...FACETS.map(([k]) => k)];
export const roleLabel = (role) => CATALOG.roles?.[role] || role;

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

export async function api(method, url, body, extraHeaders = {}) {
  const send = async () => {
    const headers = { Accept: "application/json", "Accept-Language": LANG, ...extraHeaders };
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
    const session = await fetch("/api/login", { credentials: "same-origin", headers: { Accept: "application/json", "Accept-Language": LANG } });
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

// the schema's wording ("'' should be non-empty.", "A string of 1 to 320 characters is required.")
// said as a librarian would when the field was left empty
const EMPTY_CODES = new Set(["empty", "string_required"]);
function librarianMessage(error, field) {
  const input = field.querySelector("input:not([type=checkbox]), select, textarea");
  if (EMPTY_CODES.has(error.code) && input && !input.value.trim()) return t("Required: please fill this in.");
  return error.message;
}

export function showErrors(form, data) {
  clearErrors(form);
  const general = [];
  (data.errors || []).forEach((error, i) => {
    const field = error.field ? fieldFor(form, error.field) : null;
    if (!field) { general.push(error.message); return; } // a message a librarian reads, not a field path
    field.classList.add("has-error");
    const id = `err-${field.dataset.field.replace(/\W/g, "-")}-${i}`;
    const message = h("p", { class: "field-error", id }, librarianMessage(error, field));
    if (field.tagName === "FIELDSET") field.querySelector("legend").after(message); else field.append(message);
    const input = field.querySelector("input:not([type=checkbox]), select, textarea") || field.querySelector("input");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
    }
  });
  const summary = [data.message || t("Something went wrong."), ...general].join(" ");
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

// --- an accessible dialog instead of the browser's alert/confirm --------------------------
// confirmDialog(message, {ok, cancel, danger}) -> Promise<boolean>; alertDialog(message) -> Promise.
// role=dialog, aria-modal, focus kept inside while open and given back on close; Escape cancels.
export function confirmDialog(message, { ok = t("OK"), cancel = t("Cancel"), danger = false, title = "" } = {}) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = "dialog-title";
    const textId = "dialog-text";
    const okButton = h("button", { type: "button", class: danger ? "danger" : "primary", "data-dialog": "ok" }, ok);
    const cancelButton = cancel ? h("button", { type: "button", "data-dialog": "cancel" }, cancel) : null;
    const box = h("div", { class: "dialog", role: cancel ? "alertdialog" : "dialog", "aria-modal": "true",
      "aria-labelledby": title ? titleId : textId, "aria-describedby": title ? textId : null, tabindex: "-1" },
    title ? h("h2", { id: titleId }, title) : null,
    h("p", { id: textId }, message),
    h("div", { class: "actions" }, cancelButton, okButton));
    const backdrop = h("div", { class: "dialog-backdrop" }, box);
    const outside = $$("body > *:not(.dialog-backdrop)");
    const close = (answer) => {
      document.removeEventListener("keydown", onKey, true);
      for (const el of outside) el.removeAttribute("inert");
      backdrop.remove();
      if (opener && opener.isConnected) opener.focus?.();
      resolve(answer);
    };
    const onKey = (event) => {
      if (event.key === "Escape") { event.preventDefault(); close(false); return; }
      if (event.key !== "Tab") return;
      const focusable = $$("button, [href], input, select, textarea", box).filter((el) => !el.disabled);
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (!box.contains(document.activeElement)) { event.preventDefault(); first.focus(); }
      else if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    };
    okButton.addEventListener("click", () => close(true));
    cancelButton?.addEventListener("click", () => close(false));
    document.addEventListener("keydown", onKey, true);
    for (const el of outside) el.setAttribute("inert", "");
    document.body.append(backdrop);
    (cancelButton || okButton).focus();
  });
}
export const alertDialog = (message, options = {}) => confirmDialog(message, { ...options, cancel: null });

// --- unsaved changes: a warning before leaving the page (beforeunload and the page's links) ---
// unsavedGuard(forms) -> {dirty(), parts(), reset()}; parts() names the forms with changes (their data-part).
export function unsavedGuard(forms) {
  const snapshot = (form) => JSON.stringify($$("input[name], select[name], textarea[name]", form)
    .map((el) => [el.name, el.value, el.type === "checkbox" ? el.checked : null]));
  let saved = forms.map(snapshot);
  let leaving = false;
  const parts = () => forms.filter((form, i) => snapshot(form) !== saved[i]).map((form) => form.dataset.part || form.id);
  const guard = {
    parts,
    dirty: () => !leaving && parts().length > 0,
    reset: () => { saved = forms.map(snapshot); },
    leave: () => { leaving = true; },
  };
  window.addEventListener("beforeunload", (event) => {
    if (guard.dirty()) { event.preventDefault(); event.returnValue = ""; }
  });
  document.addEventListener("click", async (event) => {
    const link = event.target.closest?.("a[href]");
    if (!link || link.target || link.hasAttribute("download") || event.defaultPrevented || !guard.dirty()) return;
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    const go = await confirmDialog(t("Unsaved changes in: %(parts)s. Leave the page and lose them?", { parts: parts().join(", ") }),
      { ok: t("Leave without saving"), cancel: t("Stay on the page"), danger: true });
    if (go) { guard.leave(); location.assign(link.href); }
  });
  return guard;
}

// --- barcode fields: a scanner types the code then Enter; Enter moves on, it never submits ---
export function scannerField(input) {
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const form = input.form;
    const focusable = $$("input:not([type=hidden]), select, textarea, button", form || document)
      .filter((el) => !el.disabled && el.offsetParent !== null);
    const next = focusable[focusable.indexOf(input) + 1];
    if (next && next.type !== "submit") next.focus();
  });
}

// --- a button copying a text (the one-time password) --------------------------------------
export function copyButton(getText) {
  const button = h("button", { type: "button", class: "copy" }, t("Copy"));
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(getText());
      button.textContent = t("Copied");
    } catch {
      button.textContent = t("Copy failed: select the text and copy it");
    }
  });
  return button;
}

// --- the rules the server checks, from the same JSON schemas (GET /api/openapi.json) ---------
let RULES = null;
export function schemaRules() {
  RULES ||= api("GET", "/api/openapi.json").then((res) => {
    const schemas = res.data.components?.schemas || {};
    const barcode = schemas.Patron?.properties?.patron?.properties?.barcode || {};
    const username = schemas.User?.properties?.username || {};
    const length = /\{(\d+),(\d+)\}/.exec(username.pattern || "");
    return {
      barcode: { min: barcode.items?.minLength, max: barcode.items?.maxLength, count: barcode.maxItems },
      username: { pattern: username.pattern ? new RegExp(username.pattern) : null, min: length?.[1], max: length?.[2] },
    };
  });
  return RULES;
}

// a rule checked as the field is left, then as it is typed in: the message stays next to the field
export function liveCheck(input, check) {
  const field = input.closest("[data-field]");
  const id = `live-${input.id}`;
  let touched = false;
  const run = () => {
    const problem = input.value.trim() ? check(input.value.trim()) : "";
    $(`#${id}`)?.remove();
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
    if (problem) {
      field.append(h("p", { class: "field-error live", id, role: "status" }, problem));
      input.setAttribute("aria-invalid", "true");
      described.push(id);
    } else if (!$(".field-error", field)) {
      input.removeAttribute("aria-invalid");
    }
    input.setAttribute("aria-describedby", described.join(" "));
  };
  input.addEventListener("blur", () => { touched = true; run(); });
  input.addEventListener("input", () => { if (touched || $(`#${id}`) || check.immediate?.(input.value)) run(); });
}
