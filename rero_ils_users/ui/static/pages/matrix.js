// The permission matrix.
import { $, $$, roleLabel, h, t, busy, api } from "../common.js";

export async function initMatrix() {
  const box = $("#matrix");
  const res = await api("GET", "/api/permissions/matrix");
  busy(box, false);
  if (!res.ok) { box.replaceChildren(h("p", { class: "notice error", role: "alert" }, res.data.message || t("Not allowed."))); return; }
  const { roles, actions, grants } = res.data;
  const body = h("tbody", {}, actions.map((action) => h("tr", { "data-action": action },
    h("th", { scope: "row" }, action),
    roles.map((role) => (grants[action] || []).includes(role)
      ? h("td", { class: "yes", title: `${roleLabel(role)}: ${action}` }, "✓", h("span", { class: "visually-hidden" }, " " + t("allowed")))
      : h("td", {}, h("span", { class: "visually-hidden" }, t("not specified")))))));
  box.replaceChildren(h("table", { class: "table matrix", id: "matrix-table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("Action")), roles.map((role) => h("th", { scope: "col", class: "role" }, h("span", {}, roleLabel(role)))))), body));
  $("#matrix-filter").addEventListener("input", (event) => {
    const text = event.target.value.trim().toLowerCase();
    for (const row of $$("tr[data-action]", body)) row.hidden = !row.dataset.action.includes(text);
  });
}
