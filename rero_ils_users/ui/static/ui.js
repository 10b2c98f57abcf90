// The pages' behaviour: every datum comes from the REST API (/api/).
// No build step: each page (<body data-page>) loads only its own module.

const PAGES = {
  login: ["login", "initLogin"],
  reset: ["login", "initReset"],
  patrons: ["patrons", "initPatrons"],
  patron: ["patron", "initPatron"],
  register: ["register", "initRegister"],
  account: ["account", "initAccount"],
  matrix: ["matrix", "initMatrix"],
};

const page = PAGES[document.body.dataset.page];
if (page) {
  const [module, init] = page;
  import(`./pages/${module}.js`).then((m) => m[init]());
}
