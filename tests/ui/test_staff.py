"""Librarian pages: the patron search (facets, barcode scan, URL state), the patron
detail with its permission explanation, the matrix; patrons kept out of them."""

import re

from playwright.sync_api import expect

from rero_ils_users.permissions.needs import system_identity
from rero_ils_users.permissions_api import service as permissions
from tests.ui.world import log_in, make_world


def rows(page):
    return page.locator("#results tbody tr")


def test_search_refines_with_a_facet_and_keeps_the_state_in_the_url(page, shot):
    make_world()
    log_in(page, "librarian")
    expect(page).to_have_url(re.compile(r"/staff/patrons$"))
    expect(page.locator("#result-count")).to_have_text("4 patrons")
    page.get_by_label("Search patrons").fill("bern")
    page.get_by_label("Search patrons").press("Enter")
    expect(page).to_have_url(re.compile(r"/staff/patrons\?q=bern"))
    expect(page.locator("#result-count")).to_have_text("2 patrons")
    # the blocked facet counts one blocked patron among the two of Bern
    blocked = page.locator("fieldset.facet", has_text="Blocked")
    expect(blocked.get_by_label("Yes (1)")).to_be_visible()
    blocked.get_by_label("Yes (1)").check()
    expect(page).to_have_url(re.compile(r"blocked=true"))
    expect(page.locator("#result-count")).to_have_text("1 patron")
    expect(rows(page).first).to_contain_text("Bernasconi, Bruno")
    expect(rows(page).first).to_contain_text("Blocked")
    expect(rows(page).first).to_contain_text("Child")
    shot(page, "staff-search-facet")
    # the state survives a reload and is undone by Back
    page.reload()
    expect(page.locator("#result-count")).to_have_text("1 patron")
    expect(page.get_by_label("Search patrons")).to_have_value("bern")
    expect(blocked.get_by_label("Yes (1)")).to_be_checked()
    page.go_back()
    expect(page.locator("#result-count")).to_have_text("2 patrons")


def test_expired_patron_is_marked_and_sort_select_orders(page):
    make_world()
    log_in(page, "librarian")
    page.get_by_label("Sort by").select_option("name")
    expect(page).to_have_url(re.compile(r"sort=name"))
    names = page.locator("#results tbody a.name")
    expect(names).to_have_text(["Aebischer, Alice", "Bernasconi, Bruno", "Cattaneo, Carla", "Libris, Lena"])
    carla = rows(page).filter(has_text="Cattaneo")
    expect(carla.locator("td.expired")).to_be_visible()
    expect(carla).to_contain_text("Expired")
    page.locator("fieldset.facet", has_text="Expired").get_by_label("Yes (1)").check()
    expect(names).to_have_text(["Cattaneo, Carla"])


def test_scanning_a_barcode_finds_the_patron(page, shot):
    world = make_world()
    log_in(page, "librarian")
    box = page.get_by_label("Search patrons")
    box.fill("2050000222")  # a scanner types the card number then Enter
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.bruno_pid}$"))  # one card, one patron: opened
    page.goto("/staff/patrons?q=2050000222")  # the list of that search
    expect(page.locator("#result-count")).to_have_text("1 patron")
    expect(rows(page).first).to_contain_text("Bernasconi, Bruno")
    expect(rows(page).first).to_contain_text("Barcode match")
    shot(page, "staff-search-barcode")
    page.goto("/staff/patrons?barcode=2050000333")
    expect(page.locator("#results tbody a.name")).to_have_text(["Cattaneo, Carla"])


def test_patron_detail_explains_each_permission(page, shot):
    world = make_world()
    permissions.set_deny(system_identity(), world.librarian, "ptrn-delete", True)
    log_in(page, "librarian")
    page.get_by_label("Search patrons").fill("Bruno")
    page.get_by_label("Search patrons").press("Enter")
    page.get_by_role("link", name="Bernasconi, Bruno").click()
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.bruno_pid}$"))
    expect(page.get_by_role("heading", name=re.compile("Bruno Bernasconi"))).to_be_visible()
    expect(page.locator("#circulation")).to_contain_text("Checkouts not allowed")
    expect(page.locator("#circulation")).to_contain_text("Lost three books")
    expect(page.locator("#recipients")).to_contain_text("bruno@example.org")
    expect(page.get_by_role("link", name="Edit")).to_be_visible()
    # GET /api/permissions/patrons/<pid> refuses the delete (the per-user deny): no button
    expect(page.get_by_role("button", name="Delete", exact=True)).to_have_count(0)
    table = page.locator("#permissions-table")
    line = table.locator('tr[data-action="ptrn-search"]')
    expect(line).to_contain_text("Not allowed")  # a patron does not search patrons
    # expanding a line shows which role causes the permission
    own = table.locator('tr[data-action="ptrn-read"]')
    expect(own).to_contain_text("Allowed")
    own.get_by_role("button").click()
    expect(own.get_by_role("button")).to_have_attribute("aria-expanded", "true")
    detail = table.locator(f"#{own.get_by_role('button').get_attribute('aria-controls')}")
    expect(detail).to_be_visible()
    expect(detail).to_contain_text("Granted by:")
    expect(detail).to_contain_text("patron")
    page.get_by_label("Filter actions").fill("ptrn-")
    expect(table.locator("tr[data-action]:visible")).to_have_count(table.locator('tr[data-action^="ptrn-"]').count())
    shot(page, "staff-patron-detail")

    # the librarian's own page: a per-user deny is shown on its line, and the delete button follows the API
    page.goto(f"/staff/patrons/{world.librarian_pid}")
    deny = page.locator('#permissions-table tr[data-action="ptrn-delete"]')
    expect(deny).to_contain_text("Not allowed")
    deny.get_by_role("button").click()
    expect(page.locator("#permissions-table .deny")).to_contain_text("Denied for this user")
    expect(page.get_by_role("button", name="Delete", exact=True)).to_have_count(0)


def test_delete_asks_for_confirmation(page):
    world = make_world()
    log_in(page, "librarian")
    page.goto(f"/staff/patrons/{world.carla_pid}")
    page.locator("#delete-patron").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.carla_pid}$"))
    page.locator("#delete-patron").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/patrons\?deleted="))
    expect(page.locator("#result-count")).to_have_text("3 patrons")


def test_permissions_matrix_with_filter(page, shot):
    make_world()
    log_in(page, "librarian")
    page.get_by_role("link", name="Permissions").click()
    table = page.locator("#matrix-table")
    expect(table.get_by_role("columnheader", name="pro: full permissions")).to_be_visible()
    page.get_by_label("Filter actions").fill("ptrn-create")
    expect(table.locator("tbody tr:visible")).to_have_count(1)
    shot(page, "staff-permissions-matrix")


def test_patron_does_not_see_staff_pages(page, shot):
    make_world()
    log_in(page, "alice")
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("link", name="Patrons")).to_have_count(0)
    for path in ("/staff/patrons", "/staff/register", "/staff/permissions", "/staff/patrons/1"):
        response = page.goto(path)
        assert response.status == 403, path
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    shot(page, "patron-forbidden")


def test_edit_button_opens_the_forms_and_saves(page, shot):
    world = make_world()
    log_in(page, "librarian")
    page.goto(f"/staff/patrons/{world.bruno_pid}")
    page.get_by_role("link", name="Edit").click()
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.bruno_pid}/edit$"))
    management = page.locator("#management-form")
    expect(management.get_by_label("Barcode or card number")).to_have_value("2050000222")
    expect(management.get_by_label("Blocked (no checkouts, renewals or requests)")).to_be_checked()
    expect(management.get_by_label("Reason for the block")).to_have_value("Lost three books")
    shot(page, "staff-patron-edit")
    management.get_by_label("Blocked (no checkouts, renewals or requests)").uncheck()
    expect(management.get_by_label("Reason for the block")).to_be_hidden()
    management.get_by_label("Public note (shown to the patron)").fill("Welcome back!")
    management.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.bruno_pid}\?saved=1$"))
    expect(page.locator("#circulation")).to_contain_text("Checkouts allowed")
    expect(page.get_by_text("Welcome back!")).to_be_visible()
