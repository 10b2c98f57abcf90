// The permission matrix; its filter matches the action code, the resource's name and the
// roles allowed the action (their identifiers and labels), words combined with commas.
import { $, $$, roleLabel, h, t, tn, busy, api } from "../common.js";

// the resource shortcuts of RERO ILS actions (API.md section 5), named for a librarian
const RESOURCES = {
  acac: t("Acquisition accounts"), acol: t("Acquisition order lines"), acor: t("Acquisition orders"),
  acre: t("Acquisition receipts"), acrl: t("Acquisition receipt lines"), budg: t("Budgets"),
  cipo: t("Circulation policies"), coll: t("Exhibitions and courses"), doc: t("Documents"), file: t("Files"),
  hold: t("Holdings"), illr: t("Interlibrary loan requests"), item: t("Items"), itty: t("Item types"),
  late: t("Late issues"), lib: t("Libraries"), loan: t("Loans"), loc: t("Locations"), locent: t("Local entities"),
  lofi: t("Local fields"), mig: t("Migrations"), notif: t("Notifications"), oplg: t("Operation logs"),
  org: t("Organisations"), ptre: t("Patron transaction events"), ptrn: t("Patrons"), pttr: t("Patron fees"),
  ptty: t("Patron types"), stat: t("Statistics"), stat_cfg: t("Statistics configurations"),
  tmpl: t("Templates"), vndr: t("Vendors"), access: t("Circulation"), admin: t("Professional interface"),
  can: t("Debug mode"), monitoring: t("Monitoring"), permission: t("Permissions"),
};

// lower case, without accents: "bibliothèque" is found as "bibliotheque"
const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
const resourceOf = (action) => action.split("-")[0];
const roleWords = (role) => fold(`${role} ${role.replace(/_/g, " ")} ${roleLabel(role)}`);

export async function initMatrix() {
  const box = $("#matrix");
  const count = $("#matrix-count");
  const res = await api("GET", "/api/permissions/matrix");
  busy(box, false);
  if (!res.ok) { box.replaceChildren(h("p", { class: "notice error", role: "alert" }, res.data.message || t("Not allowed."))); return; }
  const { roles, actions, grants } = res.data;
  const haystacks = new Map(actions.map((action) => {
    const resource = RESOURCES[resourceOf(action)] || "";
    return [action, fold(`${action} ${resource}`) + " " + (grants[action] || []).map(roleWords).join(" ")];
  }));
  const body = h("tbody", {}, actions.map((action) => h("tr", { "data-action": action },
    h("th", { scope: "row" }, action, RESOURCES[resourceOf(action)] ? h("span", { class: "resource" }, RESOURCES[resourceOf(action)]) : null),
    roles.map((role) => (grants[action] || []).includes(role)
      ? h("td", { class: "yes", "data-role": role, title: `${roleLabel(role)}: ${action}` }, "✓", h("span", { class: "visually-hidden" }, " " + t("allowed")))
      : h("td", { "data-role": role }, h("span", { class: "visually-hidden" }, t("not specified")))))));
  box.replaceChildren(h("table", { class: "table matrix", id: "matrix-table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("Action")),
      roles.map((role) => h("th", { scope: "col", class: "role", "data-role": role }, h("span", {}, roleLabel(role)))))), body));

  const apply = (value) => {
    const terms = fold(value).split(",").map((term) => term.trim()).filter(Boolean);
    let shown = 0;
    for (const row of $$("tr[data-action]", body)) {
      const hay = haystacks.get(row.dataset.action);
      row.hidden = !terms.every((term) => hay.includes(term));
      if (!row.hidden) shown += 1;
    }
    // the columns of the roles a word names
    const named = new Set(roles.filter((role) => terms.some((term) => roleWords(role).includes(term))));
    for (const cell of $$("[data-role]", box)) cell.classList.toggle("match", named.has(cell.dataset.role));
    count.textContent = terms.length
      ? tn("%(num)s action of %(total)s shown", "%(num)s actions of %(total)s shown", shown, { total: actions.length })
      : tn("%(num)s action", "%(num)s actions", actions.length);
  };
  const filter = $("#matrix-filter");
  filter.addEventListener("input", () => apply(filter.value));
  apply(filter.value);
}
