"""The edit and register pages keep what the librarian typed: one save for the page,
a warning before leaving with changes, the generated password where the eye is,
a scanner's Enter that never submits, and the reused person's data editable."""

import os
import re

from invenio_db import db
from playwright.sync_api import expect

from rero_ils_users.patrons.api import Patron
from rero_ils_users.patrons.service import patrons
from rero_ils_users.users.service import users
from tests.helpers import make_org, make_person, system_identity
from tests.ui.conftest import SHOTS
from tests.ui.world import log_in, look_up, make_world, register_adult_patron


def _edit(page, pid):
    page.goto(f"/staff/patrons/{pid}/edit")
    expect(page.locator("#management-form").get_by_label("Barcode or card number")).not_to_have_value("")


def test_the_bottom_save_keeps_a_changed_city(page, shot):
    world = make_world()
    log_in(page, "librarian")
    _edit(page, world.alice_pid)
    personal = page.locator("#personal-form")
    expect(personal.get_by_label("City")).to_have_value("Fribourg")
    personal.get_by_label("City").fill("Marly")
    # one save for the page: the personal part has no button of its own
    expect(page.get_by_role("button", name="Save personal data")).to_have_count(0)
    save = page.locator("#management-form").get_by_role("button", name="Save", exact=True)
    expect(save).to_have_accessible_description("Saves the personal data and the management data together.")
    page.locator("#management-form").get_by_label("Public note (shown to the patron)").fill("Hello")
    shot(page, "edit-one-save")
    page.locator("#management-form").get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.alice_pid}\?saved=1$"))
    expect(page.locator("dl.pairs").first).to_contain_text("Marly")
    expect(page.get_by_text("Hello")).to_be_visible()


def test_a_refused_personal_change_saves_nothing_and_says_where(page):
    world = make_world()
    log_in(page, "librarian")
    _edit(page, world.alice_pid)
    page.locator("#personal-form").get_by_label("Birth date").fill("2999-01-01")
    page.locator("#management-form").get_by_label("Public note (shown to the patron)").fill("Not saved")
    page.locator("#management-form").get_by_role("button", name="Save", exact=True).click()
    expect(page.locator('#personal-form [data-field="birth_date"] .field-error')).to_be_visible()
    expect(page.locator("#management-form .form-alert")).to_contain_text("Nothing was saved")
    expect(page).to_have_url(re.compile(r"/edit$"))


def _city(user_id):
    db.session.rollback()  # the server's writes, not this thread's snapshot
    return users.read(system_identity(), user_id)["metadata"]["city"]


def test_a_refused_patron_record_saves_the_personal_data_neither(page):
    """Both parts are written in one transaction (PUT /api/patrons/<pid>/with_user): a taken
    card number keeps the new city unsaved too, and the errors of both parts show at once."""
    world = make_world()
    log_in(page, "librarian")
    _edit(page, world.alice_pid)
    personal, management = page.locator("#personal-form"), page.locator("#management-form")
    personal.get_by_label("City").fill("Marly")
    management.get_by_label("Barcode or card number").fill("2050000222")  # Bruno's card
    management.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator('#management-form [data-field="patron.barcode"] .field-error')).to_be_visible()
    expect(management.locator(".form-alert")).to_contain_text("Nothing was saved")
    expect(page).to_have_url(re.compile(r"/edit$"))
    assert _city(world.alice) == "Fribourg"
    # both refused: both said at once, still nothing saved
    personal.get_by_label("Birth date").fill("2999-01-01")
    management.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator('#personal-form [data-field="birth_date"] .field-error')).to_be_visible()
    expect(page.locator('#management-form [data-field="patron.barcode"] .field-error')).to_be_visible()
    expect(management.locator(".form-alert")).to_contain_text("the personal data above and the patron data below")
    assert _city(world.alice) == "Fribourg"
    # corrected: both saved
    personal.get_by_label("Birth date").fill("1990-02-03")
    management.get_by_label("Barcode or card number").fill("2050000999")
    management.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.alice_pid}\?saved=1$"))
    expect(page.locator("dl.pairs").first).to_contain_text("Marly")


def test_removing_the_email_with_channel_email_kept_saves_nothing_and_says_where(page):
    """Issue 14: the email removed switches the record's channel to mail (API.md), the page
    still sends channel email: one request, refused next to the channel, nothing half-saved."""
    world = make_world()
    log_in(page, "librarian")
    _edit(page, world.alice_pid)
    before = patrons.read(system_identity(), world.alice_pid)
    writes = []
    page.on("request", lambda r: writes.append((r.method, r.url.split("/api/", 1)[1])) if "/api/" in r.url and r.method != "GET" else None)
    personal, management = page.locator("#personal-form"), page.locator("#management-form")
    personal.get_by_label("E-mail").fill("")
    personal.get_by_label("City").fill("Marly")
    expect(management.get_by_label("Communication channel")).to_have_value("email")
    management.get_by_role("button", name="Save", exact=True).click()
    channel = page.locator('#management-form [data-field="patron.communication_channel"] .field-error')
    expect(channel).to_contain_text("The email channel needs a user email or an additional communication email.")
    expect(management.get_by_label("Communication channel")).to_have_attribute("aria-invalid", "true")
    expect(management.locator(".form-alert")).to_contain_text("Nothing was saved.")
    expect(page).to_have_url(re.compile(r"/edit$"))
    assert writes == [("PUT", f"patrons/{world.alice_pid}/with_user")]  # one write, no pre-check
    db.session.rollback()
    user = users.read(system_identity(), world.alice)
    assert (user["metadata"].get("email"), user["metadata"]["city"]) == ("alice@example.org", "Fribourg")
    after = patrons.read(system_identity(), world.alice_pid)
    assert (after["revision"], after["metadata"]["patron"]["communication_channel"]) == (before["revision"], "email")
    # channel mail chosen: both saved
    management.get_by_label("Communication channel").select_option("mail")
    management.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.alice_pid}\?saved=1$"))
    db.session.rollback()
    user = users.read(system_identity(), world.alice)
    assert (user["metadata"].get("email"), user["metadata"]["city"]) == (None, "Marly")
    assert patrons.read(system_identity(), world.alice_pid)["metadata"]["patron"]["communication_channel"] == "mail"


def test_leaving_with_unsaved_changes_asks_first(page):
    world = make_world()
    log_in(page, "librarian")
    _edit(page, world.alice_pid)
    # nothing changed: the link just leaves
    page.get_by_role("link", name="Back to the patron").click()
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.alice_pid}$"))
    _edit(page, world.alice_pid)
    page.locator("#personal-form").get_by_label("City").fill("Marly")
    page.get_by_role("link", name="Back to the patron").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    page.screenshot(path=os.path.join(SHOTS, "edit-leave-dialog.png"))
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_contain_text("Personal data")
    expect(dialog.get_by_role("button", name="Stay on the page")).to_be_focused()
    page.keyboard.press("Escape")  # cancels: still on the page, the change still there
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("link", name="Back to the patron")).to_be_focused()  # focus given back
    expect(page).to_have_url(re.compile(r"/edit$"))
    expect(page.locator("#personal-form").get_by_label("City")).to_have_value("Marly")
    # the browser's own warning when the tab is closed or reloaded
    seen = []
    page.on("dialog", lambda d: (seen.append(d.type), d.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(300)
    assert seen == ["beforeunload"]


def test_the_generated_password_is_in_view_focused_and_copyable(page, shot):
    make_world()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, "librarian")
    page.goto("/staff/register")
    expect(page.get_by_label("E-mail or username")).to_be_focused()  # the lookup field first
    page.get_by_label("E-mail or username").fill("xavier")
    page.get_by_role("button", name="Look up").click()
    form = page.locator("#personal-form")
    form.get_by_label("First name").fill("Xavier")
    form.get_by_label("Last name").fill("Xhaka")
    form.get_by_label("Birth date").fill("1992-09-27")
    form.get_by_role("button", name="Save personal data").click()
    box = page.locator("#generated-box")
    expect(box).to_be_focused()
    expect(page.locator("#generated-password")).to_be_in_viewport(ratio=1)
    password = page.locator("#generated-password").text_content()
    box.get_by_role("button", name="Copy").click()
    expect(box.get_by_role("button", name="Copied")).to_be_visible()
    page.screenshot(path=os.path.join(SHOTS, "register-generated-password.png"))  # the viewport: what the eye sees
    assert page.evaluate("navigator.clipboard.readText()") == password


def test_a_scanners_enter_in_the_barcode_field_moves_on(page):
    world = make_world()
    log_in(page, "librarian")
    _edit(page, world.alice_pid)
    management = page.locator("#management-form")
    requests = []
    page.on("request", lambda r: requests.append(r.method) if "/api/patrons/" in r.url and r.method != "GET" else None)
    barcode = management.get_by_label("Barcode or card number")
    barcode.fill("2050000999")
    barcode.press("Enter")
    expect(management.get_by_label("Patron type")).to_be_focused()
    page.wait_for_timeout(300)
    assert requests == []
    expect(page).to_have_url(re.compile(r"/edit$"))
    # the registration page too, half filled
    look_up(page, "yves")
    form = page.locator("#personal-form")
    form.get_by_label("First name").fill("Yves")
    form.get_by_label("Last name").fill("Yerly")
    form.get_by_label("Birth date").fill("1980-01-01")
    form.get_by_role("button", name="Save personal data").click()
    management.get_by_label("patron", exact=True).check()
    management.get_by_label("Barcode or card number").fill("3330001111")
    management.get_by_label("Barcode or card number").press("Enter")
    expect(management.get_by_label("Patron type")).to_be_focused()
    page.wait_for_timeout(300)
    assert requests == []
    expect(page).to_have_url(re.compile(r"/staff/register$"))


def test_reused_personal_data_is_editable_and_saved_with_the_registration(page):
    make_world()
    other = make_org()
    make_person(other, ["patron"], user={"username": "dora", "email": "dora@example.org", "first_name": "Dora",
                                         "last_name": "Dubois", "birth_date": "1985-01-02", "city": "Sion"})
    log_in(page, "librarian")
    look_up(page, "dora")
    page.get_by_role("button", name="Use this personal data").click()
    personal = page.locator("#personal-form")
    expect(personal.get_by_label("City")).to_have_value("Sion")
    expect(personal.get_by_label("City")).to_be_editable()
    expect(personal.get_by_label("Username")).not_to_be_editable()  # her login stays hers
    personal.get_by_label("City").fill("Martigny")
    register_adult_patron(page, "7770001111")
    expect(page).to_have_url(re.compile(r"/staff/patrons/\d+\?created=1$"))
    expect(page.locator("dl.pairs").first).to_contain_text("Martigny")


def test_a_refused_personal_change_of_a_reused_person_registers_nothing(page):
    """The registration and the personal change are one transaction (POST /api/patrons/with_user):
    a refused birth date leaves no half registration behind, and says where."""
    world = make_world()
    other = make_org()
    dora, _ = make_person(other, ["patron"], user={"username": "dora", "email": "dora@example.org", "first_name": "Dora",
                                                   "last_name": "Dubois", "birth_date": "1985-01-02", "city": "Sion"})
    log_in(page, "librarian")
    look_up(page, "dora")
    page.get_by_role("button", name="Use this personal data").click()
    personal = page.locator("#personal-form")
    personal.get_by_label("City").fill("Martigny")
    personal.get_by_label("Birth date").fill("2999-01-01")
    register_adult_patron(page, "7770001111")
    expect(page.locator('#personal-form [data-field="birth_date"] .field-error')).to_be_visible()
    expect(page.locator("#management-form .form-alert")).to_contain_text("Nothing was saved: correct the personal data above.")
    expect(page).to_have_url(re.compile(r"/staff/register$"))
    db.session.rollback()
    assert [r["organisation"]["pid"] for r in Patron.of_user(dora)] == [other]
    assert _city(dora) == "Sion"
    personal.get_by_label("Birth date").fill("1985-01-02")
    page.locator("#management-form").get_by_role("button", name="Register the patron").click()
    expect(page).to_have_url(re.compile(r"/staff/patrons/\d+\?created=1$"))
    db.session.rollback()
    assert sorted(r["organisation"]["pid"] for r in Patron.of_user(dora)) == sorted([other, world.org])
    assert _city(dora) == "Martigny"
