// The patron's own account.
import { $, h, badge, dl, busy, api, clearErrors, formAlert, showErrors, fill, personalData } from "../common.js";

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
  const pwd = $("#password-form");
  if (user.ok) fill(profile, user.data.metadata);
  const keep = profile.elements.keep_history;
  keep.addEventListener("change", () => {
    if (!keep.checked && !confirm("Turning this off deletes your circulation history at once. Continue?")) keep.checked = true;
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
        formAlert(profile, "To change your email or username, type your current password in the \"Current password\" field below, then save again.");
        pwd.elements.current_password.focus();
      }
      return;
    }
    clearErrors(profile);
    fill(profile, res.data.metadata);
    formAlert(profile, "Your personal data was saved.", "success");
  });
  pwd.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { ...personalData(profile), current_password: pwd.elements.current_password.value, password: pwd.elements.password.value };
    const res = await api("PUT", `/api/users/${userId}`, body);
    if (!res.ok) return showErrors(pwd, res.data);
    pwd.reset();
    clearErrors(pwd);
    formAlert(pwd, "Your password was changed.", "success");
  });
  // the forms were disabled until now: never submitted natively, before their handlers exist
  for (const form of [profile, pwd]) form.querySelector("button[type=submit]").disabled = false;
}
