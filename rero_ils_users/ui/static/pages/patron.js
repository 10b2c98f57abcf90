// A patron's detail: data, circulation, recipients, the permission explanation.
import { $, $$, LANGUAGES, roleLabel, h, t, badge, dl, busy, api, names, formatDate, formatDateTime, confirmDialog, alertDialog } from "../common.js";

const GENDERS = () => ({ female: t("Female"), male: t("Male"), other: t("Other"), no_information: t("No information") });

function permissionTable(lines) {
  const filter = h("input", { type: "search", id: "perm-filter", placeholder: t("e.g. ptrn"), autocomplete: "off" });
  const onlyAllowed = h("input", { type: "checkbox", id: "perm-allowed" });
  const body = h("tbody", {});
  lines.forEach((line, i) => {
    const detailId = `perm-detail-${i}`;
    const toggle = h("button", { type: "button", class: "linklike", "aria-expanded": "false", "aria-controls": detailId }, line.action);
    const detail = h("tr", { id: detailId, class: "perm-detail", hidden: true },
      h("td", { colspan: "2" },
        line.roles.length ? h("p", {}, t("Granted by:"), " ", line.roles.map((r) => badge(roleLabel(r), "pro"))) : h("p", {}, t("No role of this person grants it.")),
        (line.denied_by || []).map((d) => h("p", { class: "deny" }, t("Denied for this user by %(by)s on %(at)s.", { by: d.by, at: formatDateTime(d.at) })))));
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      detail.hidden = !open;
    });
    const row = h("tr", { class: line.can ? "allowed" : "refused", "data-action": line.action },
      h("td", {}, toggle),
      h("td", {}, line.can ? h("span", { class: "yes" }, "✓ " + t("Allowed")) : h("span", { class: "no" }, "✗ " + t("Not allowed"))));
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
    h("div", { class: "searchbar" }, h("label", { for: "perm-filter" }, t("Filter actions")), filter,
      h("span", { class: "check" }, onlyAllowed, h("label", { for: "perm-allowed" }, t("Allowed only")))),
    h("div", { class: "table-wrap tall" }, h("table", { class: "table perms", id: "permissions-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("Action (expand to see why)")), h("th", { scope: "col" }, t("For this person")))), body)));
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
  if (!rec.ok) { box.replaceChildren(h("h1", {}, t("Patron")), h("p", { class: "notice error", role: "alert" }, rec.data.message || t("Not found."))); return; }
  const m = rec.data.metadata;
  const user = m.user || {};
  const p = m.patron || {};
  document.title = `${user.first_name} ${user.last_name} · rero-ils-users`;
  const actions = h("div", { class: "actions" });
  if (buttons.data.update?.can) actions.append(h("a", { class: "button", href: `/staff/patrons/${pid}/edit` }, t("Edit")));
  if (buttons.data.delete?.can) {
    actions.append(h("button", { type: "button", class: "danger", id: "delete-patron", onclick: async () => {
      const sure = await confirmDialog(t("Delete the patron record of %(name)s? Their personal data and their other organisations stay.",
        { name: `${user.first_name} ${user.last_name}` }), { ok: t("Delete"), cancel: t("Cancel"), danger: true });
      if (!sure) return;
      const res = await api("DELETE", `/api/patrons/${pid}`);
      if (res.ok) location.assign("/staff/patrons?deleted=" + encodeURIComponent(pid));
      else await alertDialog(res.data.message || t("Delete refused."));
    } }, t("Delete")));
  }
  const notices = [];
  const params = new URLSearchParams(location.search);
  if (params.get("created")) notices.push(h("p", { class: "notice success", role: "status" }, t("The patron was registered.")));
  if (params.get("saved")) notices.push(h("p", { class: "notice success", role: "status" }, t("Saved.")));
  const address = [user.street, [user.postal_code, user.city].filter(Boolean).join(" "), (user.country || "").toUpperCase()].filter(Boolean).join(", ");
  const phones = ["mobile_phone", "home_phone", "business_phone", "other_phone"].map((k) => user[k]).filter(Boolean).join(", ");
  const notes = m.notes || [];
  const personal = dl([
    [t("Username"), user.username], [t("E-mail"), user.email], [t("Birth date"), formatDate(user.birth_date)], [t("Gender"), GENDERS()[user.gender] || user.gender],
    [t("Address"), address], [t("Phones"), phones], [t("Keep history"), user.keep_history ? t("Yes") : t("No")],
  ]);
  const management = dl([
    [t("Roles"), (m.roles || []).map((r) => badge(roleLabel(r), r.startsWith("pro_") ? "pro" : ""))],
    [t("Barcode"), (p.barcode || []).join(", ")],
    [t("Patron type"), p.type ? types[p.type.pid] || p.type.pid : ""],
    [t("Expiry date"), p.expiration_date ? [formatDate(p.expiration_date), p.expired ? badge(t("Expired"), "warn") : null] : ""],
    [t("Communication"), p.communication_channel
      ? [p.communication_channel === "email" ? t("E-mail") : t("Mail"), ", ", LANGUAGES[p.communication_language] || p.communication_language].join("") : ""],
    [t("Additional e-mail"), p.additional_communication_email],
    [t("Blocked"), p.blocked ? [badge(t("Blocked"), "danger"), " ", p.blocked_note || ""] : ""],
    [t("Affiliation libraries"), (m.libraries || []).map((l) => libraries[l.pid] || l.pid).join(", ")],
    [t("Local codes"), (m.local_codes || []).join(", ")],
    ...notes.map((n) => [n.type === "staff_note" ? t("Staff note") : t("Public note"), n.content]),
  ]);
  const c = circ.data;
  const circulation = circ.ok ? (c.allowed ? h("p", { class: "yes" }, "✓ " + t("Checkouts allowed"))
    : h("div", {}, h("p", { class: "no" }, "✗ " + t("Checkouts not allowed")), h("ul", {}, (c.messages || c.reasons || []).map((t) => h("li", {}, t)))))
    : h("p", { class: "muted" }, circ.data.message || "");
  const r = recipients.data;
  const notify = r.channel ? dl([[t("Channel"), r.channel === "email" ? t("E-mail") : t("Mail (printed by the library)")], [t("Recipients"), (r.recipients || []).join(", ") || t("none")], [t("Language"), LANGUAGES[r.language] || r.language]])
    : h("p", { class: "muted" }, t("No notifications (not a patron)."));
  box.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, `${user.first_name || ""} ${user.last_name || ""}`,
      p.blocked ? badge(t("Blocked"), "danger") : null, p.expired ? badge(t("Expired"), "warn") : null), actions),
    ...notices,
    h("div", { class: "columns" },
      h("section", { class: "card" }, h("h2", {}, t("Personal data")), personal),
      h("section", { class: "card" }, h("h2", {}, t("Management data")), management)),
    h("div", { class: "columns" },
      h("section", { class: "card", id: "circulation" }, h("h2", {}, t("Circulation")), circulation),
      h("section", { class: "card", id: "recipients" }, h("h2", {}, t("Notification recipients")), notify)),
    h("section", { class: "card", id: "permissions" }, h("h2", {}, t("Permissions of this person")),
      perms.ok ? permissionTable(perms.data) : h("p", { class: "muted" }, perms.data.message || "")));
}
