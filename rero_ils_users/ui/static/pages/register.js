// Registering a patron (the RERO ILS flow) and editing one.
import {
  $, $$, PASSWORD_RULE, roleLabel, h, t, dl, show, api, clearErrors, formAlert, showErrors, fill, personalData, ref, names, formatDate,
  unsavedGuard, scannerField, copyButton, schemaRules, liveCheck,
} from "../common.js";

function step(name) {
  for (const li of $$(".steps li")) li.classList.toggle("current", li.dataset.step === name);
  const section = $(`#step-${name}`);
  show(section, true);
  section.scrollIntoView({ block: "start" });
}

function managementToggles(form) {
  const roles = () => $$('input[name="roles"]:checked', form).map((el) => el.value);
  const sync = () => {
    const chosen = roles();
    show($("#patron-fields"), chosen.includes("patron"));
    const pro = chosen.some((r) => r.startsWith("pro_"));
    show($("#libraries-req"), pro);
    $("#libraries-field").classList.toggle("required", pro);
    show($("#additional-email-field"), form.elements.communication_channel.value === "email");
    show($("#blocked-note-field"), form.elements.blocked.checked);
  };
  form.addEventListener("change", sync);
  sync();
  return roles;
}

function managementData(form, roles, state) {
  const chosen = roles();
  const data = { user_id: state.userId, organisation: ref("organisations", state.organisation), roles: chosen };
  // a person found by the lookup is registered with the token the lookup gave (API.md section 2)
  if (state.registrationToken) data.registration_token = state.registrationToken;
  const libs = $$('input[name="libraries"]:checked', form).map((el) => ref("libraries", el.value));
  if (libs.length) data.libraries = libs;
  if (chosen.includes("patron")) {
    const e = form.elements;
    const patron = {
      barcode: e.barcode.value.split(",").map((b) => b.trim()).filter(Boolean),
      communication_channel: e.communication_channel.value,
      communication_language: e.communication_language.value,
    };
    if (e.patron_type.value) patron.type = ref("patron_types", e.patron_type.value);
    if (e.expiration_date.value) patron.expiration_date = e.expiration_date.value;
    if (patron.communication_channel === "email" && e.additional_communication_email.value.trim()) {
      patron.additional_communication_email = e.additional_communication_email.value.trim();
    }
    if (e.blocked.checked) { patron.blocked = true; patron.blocked_note = e.blocked_note.value.trim(); }
    if (state.existing?.patron?.second_address) patron.second_address = state.existing.patron.second_address;
    data.patron = patron;
  }
  const codes = form.elements.local_codes.value.split(",").map((c) => c.trim()).filter(Boolean);
  if (codes.length) data.local_codes = codes;
  const notes = [];
  for (const type of ["public_note", "staff_note"]) {
    const content = form.elements[type].value.trim();
    if (content) notes.push({ type, content });
  }
  if (notes.length) data.notes = notes;
  if (state.existing?.second_address) data.second_address = state.existing.second_address;
  return data;
}

function fillManagement(form, m) {
  const p = m.patron || {};
  for (const el of $$('input[name="roles"]', form)) el.checked = (m.roles || []).includes(el.value);
  for (const el of $$('input[name="libraries"]', form)) el.checked = (m.libraries || []).some((l) => l.pid === el.value);
  const e = form.elements;
  e.barcode.value = (p.barcode || []).join(", ");
  if (p.type) e.patron_type.value = p.type.pid;
  if (p.communication_channel) e.communication_channel.value = p.communication_channel;
  if (p.communication_language) e.communication_language.value = p.communication_language;
  e.expiration_date.value = p.expiration_date || "";
  e.additional_communication_email.value = p.additional_communication_email || "";
  e.blocked.checked = !!p.blocked;
  e.blocked_note.value = p.blocked_note || "";
  e.local_codes.value = (m.local_codes || []).join(", ");
  for (const note of m.notes || []) if (e[note.type]) e[note.type].value = note.content;
}

// the one-time password where the eye is: at the top of the next step, focused, with a copy button
function generatedPasswordBox(password) {
  const box = h("div", { class: "notice success generated", id: "generated-box", role: "status", tabindex: "-1" },
    h("p", {}, t("Account created. Generated password (shown only this once, give it to the patron now):")),
    h("p", { class: "inline" }, h("code", { id: "generated-password" }, password), " ", copyButton(() => password)));
  return box;
}

// the personal part of a write of both parts (PUT /api/users/<id>'s body, as typed)
function personalBody(personal) {
  const body = { ...personalData(personal) };
  if (personal.elements.password.value) body.password = personal.elements.password.value;
  return body;
}

// one part's entries of a refused write of both parts, with their fields as the part's own
// endpoint names them ("user.birth_date" -> "birth_date", "patron.patron.barcode" -> "patron.barcode")
function partErrors(data, part) {
  return (data.errors || []).filter((e) => e.field && e.field.startsWith(`${part}.`))
    .map((e) => ({ ...e, field: e.field.slice(part.length + 1) }));
}

// the rules of the card number and the username, from the schemas the server checks with,
// stated next to their fields and checked as they are typed
async function statedRules(personal, management) {
  const { barcode, username } = await schemaRules();
  if (barcode.min) {
    $("#barcode-hint").textContent = t("%(min)s to %(max)s characters per card, unique in the organisation; several cards (at most %(count)s) separated by commas.",
      { min: barcode.min, max: barcode.max, count: barcode.count });
    liveCheck(management.elements.barcode, (value) => {
      const wrong = value.split(",").map((b) => b.trim()).filter(Boolean).find((b) => b.length < barcode.min || b.length > barcode.max);
      return wrong ? t("%(barcode)s has %(length)s characters: a card number has %(min)s to %(max)s.",
        { barcode: wrong, length: wrong.length, min: barcode.min, max: barcode.max }) : "";
    });
  }
  if (username.pattern) {
    const rule = $("#username-rule");
    rule.textContent = t("%(min)s to %(max)s characters: letters without accents (A-Z, a-z), digits, _ and -.", { min: username.min, max: username.max });
    rule.hidden = false;
    const allowed = new RegExp(`^${(/^\^(\[[^\]]+\])/.exec(username.pattern.source) || [, "."])[1]}*$`);
    const check = (value) => (username.pattern.test(value) ? ""
      : allowed.test(value) ? t("Too short or too long: %(rule)s", { rule: rule.textContent })
        : t("Only letters without accents (A-Z, a-z), digits, _ and - (no spaces)."));
    check.immediate = (value) => !allowed.test(value); // a wrong character: said at once
    liveCheck(personal.elements.username, check);
  }
}

function personBanner(user, extra) {
  const who = `${user.first_name || ""} ${user.last_name || ""} (${user.username}${user.email ? ", " + user.email : ""})`;
  return h("p", { class: "notice" }, t("For %(person)s.", { person: who }), " ", extra || "");
}

export async function initRegister() {
  const root = $("#register");
  const editPid = root.dataset.editPid;
  const state = { organisation: document.body.dataset.organisation, userId: null, existing: null };
  const personal = $("#personal-form");
  const management = $("#management-form");
  const assignable = (root.dataset.assignable || "").split(" ");
  for (const el of $$("[data-role-label]")) el.textContent = roleLabel(el.dataset.roleLabel);
  for (const el of $$('input[name="roles"]', management)) if (!assignable.includes(el.value)) el.closest("label").title = t("You may not assign this role.");
  const [types, libraries] = await Promise.all([names("patron_types"), names("libraries")]);
  for (const [pid, name] of Object.entries(types)) management.elements.patron_type.append(h("option", { value: pid }, name));
  $("#libraries").replaceChildren(...Object.entries(libraries).map(([pid, name]) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "libraries", value: pid }), " ", name)));
  const roles = managementToggles(management);
  const nextYear = new Date(); nextYear.setFullYear(nextYear.getFullYear() + 1);
  management.elements.expiration_date.value = nextYear.toISOString().slice(0, 10);
  const guard = unsavedGuard([personal, management]); // after the defaults: they are no change

  $("#generate-password").addEventListener("click", async () => {
    const res = await api("GET", "/api/user/password/generate?length=12");
    if (res.ok) { personal.elements.password.value = res.data.password; personal.elements.password.focus(); }
  });

  personal.dataset.part = t("Personal data");
  management.dataset.part = t("Management data");
  scannerField(management.elements.barcode);
  statedRules(personal, management);
  const toManagement = (user, generated) => {
    state.userId = user.id;
    state.registrationToken = (user.metadata && user.metadata.registration_token) || null;
    $("#person-banner").replaceChildren(personBanner(user.metadata || user), generated ? generatedPasswordBox(generated) : "");
    step("management");
    if (generated) {
      const box = $("#generated-box");
      box.scrollIntoView({ block: "center" });
      box.focus({ preventScroll: true });
    } else if (!state.reuse) {
      $('input[name="roles"]:not(:disabled)', management)?.focus();
    }
  };
  // reusing a person of another organisation: their personal data is filled in, editable, and any
  // change is saved right after the registration (PUT /api/users/<id>); their login stays theirs
  const reuse = (hit) => {
    state.reuse = true;
    state.userRevision = hit.revision;
    personal.reset();
    clearErrors(personal);
    fill(personal, hit.metadata);
    for (const name of ["username", "email"]) personal.elements[name].readOnly = true;
    show($(".password-box", personal), false);
    show($(".actions", personal), false);
    $("#personal-summary").replaceChildren(h("p", { class: "notice", role: "status" },
      t("Fill or update the personal data: the changes are saved with the registration. The login (username, e-mail, password) stays the person's own.")));
    show(personal, true);
    toManagement(hit);
    guard.reset();
    guard.personalBaseline = JSON.stringify(personalData(personal));
    personal.elements.first_name.focus();
    personal.scrollIntoView({ block: "start" });
  };

  if (editPid) {
    const rec = await api("GET", `/api/patrons/${editPid}`);
    if (!rec.ok) { root.replaceChildren(h("p", { class: "notice error", role: "alert" }, rec.data.message || t("Not found."))); return; }
    state.existing = rec.data.metadata;
    state.userId = rec.data.metadata.user_id;
    state.revision = rec.data.revision;
    show($(".actions", personal), false); // one save for the page: the bottom button saves both parts
    const user = await api("GET", `/api/users/${state.userId}`);
    fill(personal, user.ok ? user.data.metadata : rec.data.metadata.user || {});
    state.user = user.ok ? user.data.metadata : null;
    state.userRevision = user.ok ? user.data.revision : null;
    $("#password-hint").textContent = t("Leave empty to keep the current password.") + " " + PASSWORD_RULE;
    for (const title of $$("#register section > h2")) title.textContent = title.textContent.replace(/^\d\. /, "");
    fillManagement(management, state.existing);
    management.dispatchEvent(new Event("change"));
    step("personal");
    step("management");
    $("#person-banner").replaceChildren(personBanner(rec.data.metadata.user || {}, h("a", { href: `/staff/patrons/${editPid}` }, t("Back to the patron"))));
    guard.reset();
    guard.personalBaseline = JSON.stringify(personalData(personal));
  }

  $("#lookup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = $("#lookup").value.trim();
    const out = $("#lookup-result");
    if (!value) return;
    const res = await api("GET", "/api/users/?q=" + encodeURIComponent(value));
    if (!res.ok) { out.replaceChildren(h("p", { class: "notice error", role: "alert" }, res.data.message || t("Lookup failed."))); return; }
    const hit = res.data.hits.hits[0];
    $("#step-management").hidden = true;
    state.reuse = false;
    for (const name of ["username", "email"]) personal.elements[name].readOnly = false;
    show($(".password-box", personal), true);
    show($(".actions", personal), true);
    if (!hit) {
      out.replaceChildren(h("p", { class: "notice", role: "status" }, t("No account found: fill in the personal data.")));
      personal.reset();
      clearErrors(personal);
      personal.elements[value.includes("@") ? "email" : "username"].value = value;
      $("#personal-summary").replaceChildren();
      show(personal, true);
      step("personal");
      personal.elements.username.focus();
      return;
    }
    const user = hit.metadata;
    const mine = (user.patrons || []).find((p) => p.organisation.pid === state.organisation);
    if (mine) {
      out.replaceChildren(h("p", { class: "notice warn", role: "status" }, t("%(name)s is already registered in your organisation.", { name: `${user.first_name} ${user.last_name}` }), " ",
        h("a", { href: `/staff/patrons/${mine.pid}` }, t("Open the patron record"))));
      $("#step-personal").hidden = true;
      return;
    }
    out.replaceChildren(h("p", { class: "notice success", role: "status" }, t("An account exists: its personal data will be used for this patron.")));
    $("#personal-summary").replaceChildren(dl([
      [t("Name"), `${user.first_name || ""} ${user.last_name || ""}`], [t("Username"), user.username], [t("E-mail"), user.email],
      [t("Birth date"), formatDate(user.birth_date)], [t("City"), user.city]]),
    h("div", { class: "actions" }, h("button", { type: "button", class: "primary", id: "use-account", onclick: () => reuse(hit) }, t("Use this personal data"))));
    show(personal, false);
    step("personal");
  });
  $("#lookup-button").disabled = false; // enabled only once the lookup has its handler
  if (!editPid) $("#lookup").focus();

  personal.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = personalData(personal);
    if (personal.elements.password.value) data.password = personal.elements.password.value;
    let res;
    if (state.userId) {
      const body = { ...data };
      res = await api("PUT", `/api/users/${state.userId}`, body);
    } else {
      res = await api("POST", "/api/users/", data);
    }
    if (!res.ok) return showErrors(personal, res.data);
    clearErrors(personal);
    personal.elements.password.value = "";
    formAlert(personal, state.userId ? t("Personal data saved.") : t("Account created."), "success");
    guard.reset();
    toManagement(res.data, res.data.generated_password);
  });

  // a refused write of both parts: nothing was saved; each part's problems next to its fields
  const bothRefused = (res) => {
    const personErrors = partErrors(res.data, "user");
    const recordErrors = partErrors(res.data, "patron");
    if (personErrors.length) showErrors(personal, { message: res.data.message, errors: personErrors }); else clearErrors(personal);
    if (recordErrors.length) showErrors(management, { message: res.data.message, errors: recordErrors });
    const said = recordErrors.length ? $(".form-alert", management).textContent : personErrors.length ? "" : res.data.message || "";
    const nothing = !personErrors.length ? t("Nothing was saved.") : recordErrors.length
      ? t("Nothing was saved: correct the personal data above and the patron data below.")
      : t("Nothing was saved: correct the personal data above.");
    formAlert(management, `${nothing} ${said}`.trim());
    (recordErrors.length && !personErrors.length ? $("[aria-invalid]", management) : $("[aria-invalid]", personal))?.focus();
  };

  management.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!state.userId) return formAlert(management, t("Save the personal data first."));
    clearErrors(management);
    const personalChanged = (editPid || state.reuse) && JSON.stringify(personalData(personal)) !== guard.personalBaseline
      || (editPid && personal.elements.password.value);
    const data = managementData(management, roles, state);
    const ifMatch = editPid && state.revision ? { "If-Match": `"${state.revision}"` } : {};
    let res;
    if (personalChanged) {
      // two resources, one Save, one transaction (docs/api.md): the personal data then the
      // record are saved together, or nothing is and the errors of both parts show at once
      const body = { user: personalBody(personal), patron: data };
      if (state.userRevision != null) body.user_revision = state.userRevision;
      res = editPid ? await api("PUT", `/api/patrons/${editPid}/with_user`, body, ifMatch)
        : await api("POST", "/api/patrons/with_user", body);
    } else {
      res = editPid ? await api("PUT", `/api/patrons/${editPid}`, data, ifMatch) : await api("POST", "/api/patrons/", data);
    }
    if (!res.ok) {
      if (res.status === 412) return formAlert(management, t("Someone else changed this patron meanwhile: reload the page to see their changes."));
      return personalChanged ? bothRefused(res) : showErrors(management, res.data);
    }
    guard.leave();
    const pid = personalChanged ? res.data.patron.id : res.data.id;
    location.assign(`/staff/patrons/${pid}?${editPid ? "saved" : "created"}=1`);
  });
}
