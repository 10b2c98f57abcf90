// The login and password reset pages.
import { $, LOGIN_MESSAGES, h, api, clearErrors, formAlert, showErrors } from "../common.js";

function safeNext() {
  const next = new URLSearchParams(location.search).get("next") || "";
  return next.startsWith("/") && !next.startsWith("//") ? next : "";
}

export function initLogin() {
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
    // where the caller lands is the server's rule (policy.home_page), not the page's
    location.assign(safeNext() || res.data.home || "/account");
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

export function initReset() {
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
