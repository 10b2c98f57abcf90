// The pages' behaviour: every datum comes from the REST API (/api/).
// No build step. Static imports on purpose: a module script and everything it
// imports run before DOMContentLoaded, so no form can be used before its
// handlers are attached (a dynamic import() would not be waited for).
import { initAccount } from "./pages/account.js";
import { initLogin, initReset } from "./pages/login.js";
import { initMatrix } from "./pages/matrix.js";
import { initPatron } from "./pages/patron.js";
import { initPatrons } from "./pages/patrons.js";
import { initRegister } from "./pages/register.js";

const PAGES = {
  login: initLogin,
  reset: initReset,
  patrons: initPatrons,
  patron: initPatron,
  register: initRegister,
  account: initAccount,
  matrix: initMatrix,
};

// the header's language selector applies on change (its button serves without script)
const languageForm = document.getElementById("language-form");
if (languageForm) {
  languageForm.querySelector(".language-apply").hidden = true;
  languageForm.elements.language.addEventListener("change", () => languageForm.submit());
}

PAGES[document.body.dataset.page]?.();
