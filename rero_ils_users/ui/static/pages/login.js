// The login and password reset pages.
import { $, LOGIN_MESSAGES, h, t, api, clearErrors, formAlert, showErrors } from "../common.js";

// A path of this site or nothing, at every level of percent-decoding: one leading "/",
// no backslash, no control character, no scheme or host (the server's rule, ui/next.py).
function sameSitePath(value) {
  if (typeof value !== "string" || !value || value.length > 2000) return "";
  let layer = value;
  for (let i = 0; i < 5; i++) {
    if (!layer.startsWith("/") || layer.startsWith("//") || layer.includes("\\")) return "";
    if (/[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/.test(layer)) return "";
    if (new URL(layer, location.origin).origin !== location.origin) return "";
    let decoded;
    try { decoded = decodeURIComponent(layer); } catch { return ""; }
    if (decoded === layer) return value;
    layer = decoded;
  }
  return "";
}

function safeNext() {
  // the server already checked it (data-next); check again before following it
  return sameSitePath($("#login-form").dataset.next || "");
}

export function initLogin() {
  const form = $("#login-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const res = await api("POST", "/api/login", { login: form.elements.login.value.trim(), password: form.elements.password.value });
    if (!res.ok) {
      const message = res.data.message || "";
      formAlert(form, LOGIN_MESSAGES[message]?.() || (res.data.errors || []).map((e) => e.message).join(" ") || message || t("Login failed."));
      form.elements.password.value = "";
      form.elements.password.focus();
      return;
    }
    // where the caller lands is the server's rule (policy.home_page), not the page's
    location.assign(safeNext() || res.data.home || "/account");
  });
  const forgot = $("#forgot-form");
  forgot.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(forgot);
    const email = forgot.elements.email.value.trim();
    if (!email) return showErrors(forgot, { message: t("Enter your e-mail address."), errors: [{ field: "email", code: "empty", message: "" }] });
    const res = await api("POST", "/api/password/forgot", { email });
    if (res.ok) formAlert(forgot, res.data.message || t("If this address is known, a reset link is on its way."), "success");
    else showErrors(forgot, res.data);
  });
}

// a reset link that no longer works is said as soon as the password field is entered, before the
// new password is typed: the server checks the token before the password, so an empty password
// asks only that (and changes nothing)
async function checkResetLink(form) {
  const res = await api("POST", "/api/password/reset", { token: form.dataset.token, password: "" });
  if (!(res.data.errors || []).some((e) => e.field === "token")) return;
  formAlert(form, t("This reset link is invalid, expired or already used. Ask for a new one on the login page (\"Forgot password?\")."));
  for (const el of form.elements) el.disabled = true;
  form.append(h("p", {}, h("a", { class: "button primary", href: "/" }, t("Ask for a new link"))));
}

export function initReset() {
  const form = $("#reset-form");
  form.addEventListener("focusin", () => checkResetLink(form), { once: true });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const res = await api("POST", "/api/password/reset", { token: form.dataset.token, password: form.elements.password.value });
    if (!res.ok) return showErrors(form, res.data);
    clearErrors(form);
    formAlert(form, t("Your password was changed. You can now log in."), "success");
    form.querySelector("button").replaceWith(h("a", { class: "button primary", href: "/" }, t("Log in")));
  });
}
