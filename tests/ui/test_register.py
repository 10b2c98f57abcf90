"""The seed's "Register a patron" flow, end to end in the browser."""

import re

from playwright.sync_api import expect

from tests.helpers import make_org, make_person
from tests.ui.world import log_in, look_up, make_world, register_adult_patron


def test_register_a_new_person_end_to_end(page, shot):
    make_world()
    log_in(page, "librarian")
    page.get_by_role("link", name="Register a patron").first.click()
    # step 1: nobody with this address
    page.get_by_label("E-mail or username").fill("zoe.muller@example.org")
    page.get_by_role("button", name="Look up").click()
    expect(page.locator("#lookup-result")).to_contain_text("No account found")
    # step 2: personal data, the looked-up address already filled in; no password typed
    form = page.locator("#personal-form")
    expect(form.get_by_label("E-mail")).to_have_value("zoe.muller@example.org")
    form.get_by_label("Username").fill("zoe")
    form.get_by_label("First name").fill("Zoë")
    form.get_by_label("Last name").fill("Müller")
    form.get_by_label("Birth date").fill("2001-04-05")
    form.get_by_label("City").fill("Neuchâtel")
    shot(page, "register-personal")
    form.get_by_role("button", name="Save personal data").click()
    generated = page.locator("#generated-password")
    expect(generated).to_be_visible()
    assert re.search(r"[a-z]", generated.text_content()) and re.search(r"[A-Z]", generated.text_content())
    # step 3: management data
    management = page.locator("#management-form")
    expect(management).to_be_visible()
    expect(page.locator("#person-banner")).to_contain_text("Zoë Müller")
    management.get_by_label("patron", exact=True).check()
    management.get_by_label("Barcode or card number").fill("9990001234")
    management.get_by_label("Patron type").select_option(label="Adult")
    # the additional e-mail appears only with the e-mail channel
    expect(management.get_by_label("Additional communication e-mail")).to_be_visible()
    management.get_by_label("Communication channel").select_option("mail")
    expect(management.get_by_label("Additional communication e-mail")).to_be_hidden()
    management.get_by_label("Communication channel").select_option("email")
    management.get_by_label("Additional communication e-mail").fill("parents@example.org")
    management.get_by_label("Communication language").select_option("fre")
    management.get_by_label("Local codes").fill("school, ski-club")
    shot(page, "register-management")
    management.get_by_role("button", name="Register the patron").click()
    expect(page).to_have_url(re.compile(r"/staff/patrons/\d+\?created=1$"))
    expect(page.get_by_role("status")).to_contain_text("The patron was registered.")
    expect(page.locator("#recipients")).to_contain_text("zoe.muller@example.org, parents@example.org")
    # the new patron is searchable, accents or not
    page.goto("/staff/patrons?q=muller")
    expect(page.locator("#results tbody a.name")).to_have_text(["Müller, Zoë"])
    expect(page.locator("#results tbody tr").first).to_contain_text("9990001234")


def test_lookup_finds_a_patron_of_my_organisation_and_links_to_it(page):
    world = make_world()
    log_in(page, "librarian")
    look_up(page, "ALICE@example.org")
    expect(page.locator("#lookup-result")).to_contain_text("already registered in your organisation")
    page.get_by_role("link", name="Open the patron record").click()
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.alice_pid}$"))


def test_lookup_reuses_personal_data_from_another_organisation(page):
    world = make_world()
    other = make_org()
    make_person(other, ["patron"], user={"username": "dora", "email": "dora@example.org", "first_name": "Dora", "last_name": "Dubois"})
    log_in(page, "librarian")
    look_up(page, "dora")
    expect(page.locator("#lookup-result")).to_contain_text("personal data will be used")
    expect(page.locator("#personal-summary")).to_contain_text("Dubois")
    page.get_by_role("button", name="Use this personal data").click()
    register_adult_patron(page, "7770001111")
    expect(page).to_have_url(re.compile(r"/staff/patrons/\d+\?created=1$"))
    expect(page.get_by_role("heading", name=re.compile("Dora Dubois"))).to_be_visible()
    del world


def test_api_errors_show_next_to_their_fields(page, shot):
    make_world()
    log_in(page, "librarian")
    look_up(page, "yann")
    form = page.locator("#personal-form")
    expect(form.get_by_label("Username")).to_have_value("yann")
    form.get_by_label("First name").fill("Yann")
    form.get_by_label("Last name").fill("Yerly")
    form.get_by_label("Birth date").fill("2999-01-01")  # in the future: 400 on birth_date
    form.get_by_role("button", name="Save personal data").click()
    field = form.locator('[data-field="birth_date"]')
    expect(field.locator(".field-error")).to_be_visible()
    expect(form.get_by_label("Birth date")).to_have_attribute("aria-invalid", "true")
    expect(form.locator('[data-field="first_name"] .field-error')).to_have_count(0)
    shot(page, "register-400")
    form.get_by_label("Birth date").fill("1999-01-01")
    form.get_by_role("button", name="Generate").click()  # GET /api/user/password/generate
    expect(form.get_by_label("Password", exact=True)).to_have_value(re.compile(r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d).{12}$"))
    form.get_by_role("button", name="Save personal data").click()
    management = page.locator("#management-form")
    expect(management).to_be_visible()
    expect(form.locator(".field-error")).to_have_count(0)
    # a professional role without an affiliation library, and a duplicate barcode
    management.get_by_label("patron", exact=True).check()
    management.get_by_label("pro: circulation").check()
    management.get_by_label("Barcode or card number").fill("2050000111")  # Alice's card
    management.get_by_label("Patron type").select_option(label="Adult")
    management.get_by_role("button", name="Register the patron").click()
    expect(management.locator('[data-field="libraries"] .field-error')).to_be_visible()
    # no user e-mail: the e-mail channel is refused next to its field too
    expect(management.locator('[data-field="patron.communication_channel"] .field-error')).to_be_visible()
    management.get_by_label("Communication channel").select_option("mail")
    management.locator('#libraries input[name="libraries"]').first.check()
    management.get_by_role("button", name="Register the patron").click()
    expect(management.locator('[data-field="patron.barcode"] .field-error')).to_be_visible()
    shot(page, "register-409-barcode")
