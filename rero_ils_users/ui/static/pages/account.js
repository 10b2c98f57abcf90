// The patron's own account.
import { $, h, t, badge, dl, busy, api, clearErrors, formAlert, showErrors, fill, personalData, formatDate, formatDateTime, confirmDialog } from "../common.js";

const ACTIONS = () => ({ checkout: t("Checkout"), checkin: t("Checkin"), renewal: t("Renewal"), request: t("Request") });

// the history of every record, newest first; said plainly when it is not kept (redrawn on a change)
async function showHistory(historyBox, hits, kept) {
  if (!hits.length) return;
  const histories = await Promise.all(hits.map((hit) => api("GET", `/api/patrons/${hit.id}/history?size=100`)));
  const entries = histories.flatMap((res) => (res.ok ? res.data.hits.hits : []));
  entries.sort((a, b) => (b.metadata.date || "").localeCompare(a.metadata.date || ""));
  historyBox.replaceChildren(entries.length
    ? h("div", { class: "table-wrap" }, h("table", { class: "table", id: "history-table" },
      h("thead", {}, h("tr", {}, [t("Date"), t("Action"), t("Title"), t("Item barcode")].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, entries.map((e) => h("tr", {}, h("td", {}, formatDateTime(e.metadata.date)), h("td", {}, ACTIONS()[e.metadata.action] || e.metadata.action),
        h("td", {}, e.metadata.item?.title || ""), h("td", { class: "mono" }, e.metadata.item?.barcode || ""))))))
    : h("p", { class: "muted" }, kept ? t("No loans in your history yet.") : t("Your history is not kept. Tick \"Keep the circulation history\" below to keep it.")));
}

export async function initAccount() {
  const box = $("#account-records");
  const historyBox = $("#history");
  const userId = document.body.dataset.userId;
  // someone with no patron role (a librarian) has no patron records to ask for (403)
  const mine = document.body.dataset.patron === "true" ? api("GET", "/api/patrons/me") : { ok: false };
  const [records, user] = await Promise.all([mine, api("GET", `/api/users/${userId}`)]);
  busy(box, false);
  const hits = records.ok ? records.data.hits.hits : [];
  if (!hits.length) {
    box.replaceChildren(h("p", { class: "notice" }, t("You have no patron account in an organisation.")));
    historyBox.replaceChildren(h("p", { class: "muted" }, t("No history.")));
  } else {
    box.replaceChildren(...hits.map((hit) => {
      const m = hit.metadata;
      const p = m.patron || {};
      return h("section", { class: "card", "data-pid": hit.id },
        h("h2", {}, m.organisation.name || m.organisation.pid, p.expired ? badge(t("Expired"), "warn") : null, p.blocked ? badge(t("Blocked"), "danger") : null),
        dl([[t("Patron type"), p.type?.name || p.type?.pid], [t("Card number"), (p.barcode || []).join(", ")],
          [t("Expiry date"), formatDate(p.expiration_date)], [t("Blocked"), p.blocked ? p.blocked_note || t("Yes") : ""],
          ...(m.notes || []).filter((n) => n.type === "public_note").map((n) => [t("Note from your library"), n.content])]));
    }));
    await showHistory(historyBox, hits, user.data.metadata?.keep_history);
  }
  const profile = $("#profile-form");
  const pwd = $("#password-form");
  if (user.ok) fill(profile, user.data.metadata);
  const keep = profile.elements.keep_history;
  keep.addEventListener("change", async () => {
    if (keep.checked) return;
    const sure = await confirmDialog(t("Turning this off deletes your circulation history at once. Continue?"),
      { ok: t("Delete my history"), cancel: t("Keep my history"), danger: true });
    if (!sure) keep.checked = true;
  });
  profile.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = personalData(profile);
    // a new email or username needs the current password (API.md section 2)
    if (pwd.elements.current_password.value) body.current_password = pwd.elements.current_password.value;
    const res = await api("PUT", `/api/users/${userId}`, body);
    if (!res.ok) {
      showErrors(profile, res.data);
      if ((res.data.errors || []).some((e) => e.field === "current_password")) {
        formAlert(profile, t("To change your email or username, type your current password in the \"Current password\" field below, then save again."));
        pwd.elements.current_password.focus();
      }
      return;
    }
    clearErrors(profile);
    fill(profile, res.data.metadata);
    formAlert(profile, t("Your personal data was saved."), "success");
    await showHistory(historyBox, hits, res.data.metadata.keep_history); // no reload needed to see it
  });
  pwd.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { ...personalData(profile), current_password: pwd.elements.current_password.value, password: pwd.elements.password.value };
    const res = await api("PUT", `/api/users/${userId}`, body);
    if (!res.ok) return showErrors(pwd, res.data);
    pwd.reset();
    clearErrors(pwd);
    formAlert(pwd, t("Your password was changed."), "success");
  });
  // the forms were disabled until now: never submitted natively, before their handlers exist
  for (const form of [profile, pwd]) form.querySelector("button[type=submit]").disabled = false;
}
