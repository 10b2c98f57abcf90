// A patron's detail: data, circulation, recipients, the permission explanation.
import { $, $$, LANGUAGES, roleLabel, h, badge, dl, busy, api, names } from "../common.js";

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

export async function initPatron() {
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
