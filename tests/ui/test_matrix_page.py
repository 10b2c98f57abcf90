"""The permissions matrix page (issue 14): as tall as its content, and a filter on role
names, role labels and resource names as well as action codes."""

import re

from playwright.sync_api import expect

from tests.ui.world import log_in, make_world


def open_matrix(page):
    make_world()
    log_in(page, "librarian")
    page.goto("/staff/permissions")
    expect(page.locator("#matrix-table tbody tr").first).to_be_visible()
    return page.locator("#matrix-table")


def shown(table):
    return table.locator("tbody tr[data-action]:visible")


def test_the_page_is_as_tall_as_its_content(page, shot):
    open_matrix(page)
    # nothing below the footer: the page ends where its content ends
    height = page.evaluate("document.documentElement.scrollHeight")
    footer_bottom = page.evaluate("document.querySelector('.footer').getBoundingClientRect().bottom + window.scrollY")
    assert height <= footer_bottom + 2, f"the page is {height}px tall, its content ends at {footer_bottom}px"
    assert height < 2000, height
    # scrolled to the bottom, the footer is on screen (no blank screens)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(page.locator(".footer")).to_be_in_viewport()
    shot(page, "matrix-height")


def test_the_filter_finds_role_names_labels_and_resources(page, shot):
    table = open_matrix(page)
    box = page.get_by_label("Filter actions")
    total = table.locator("tbody tr[data-action]").count()
    # a role's label: the actions that role is allowed
    box.fill("user manager")
    expect(shown(table).first).to_be_visible()
    assert 0 < shown(table).count() < total
    for action in ("ptrn-create", "tmpl-update"):
        expect(table.locator(f'tr[data-action="{action}"]')).to_be_visible()
    expect(table.locator('tr[data-action="doc-delete"]')).to_be_hidden()  # a user manager does not delete documents
    expect(table.locator('th.role[data-role="pro_user_manager"]')).to_have_class(re.compile(r"\bmatch\b"))
    # a role's identifier
    box.fill("pro_user_manager")
    expect(table.locator('tr[data-action="ptrn-create"]')).to_be_visible()
    # "patron": the patron role's actions and the actions on patrons
    box.fill("patron")
    for action in ("illr-create", "loan-request", "ptrn-account", "ptrn-delete", "ptty-read"):
        expect(table.locator(f'tr[data-action="{action}"]')).to_be_visible()
    # a resource's name
    box.fill("patron types")
    expect(shown(table)).to_have_count(table.locator('tr[data-action^="ptty-"]').count())
    # words combined with a comma: the actions on patrons a user manager is allowed
    box.fill("patrons, user manager")
    expect(table.locator('tr[data-action="ptrn-update"]')).to_be_visible()
    expect(table.locator('tr[data-action="ptty-read"]')).to_be_hidden()
    expect(page.locator("#matrix-count")).to_contain_text(re.compile(rf"\d+ actions? of {total} shown"))
    shot(page, "matrix-filter")
    # action codes as before
    box.fill("ptrn-create")
    expect(shown(table)).to_have_count(1)
    box.fill("")
    expect(shown(table)).to_have_count(total)
