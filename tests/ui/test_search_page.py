"""The patron search page as a desk uses it (issue 14): results follow the typing without
flooding the server, an older answer never replaces a newer one, Enter never sends the
form, a scanned card matching one patron opens the record (whatever filter is ticked),
active filters as removable chips, a facet keeps its other values, a new query says
which filters are still active; facets behind a toggle on tablets, no sideways
scrolling on phones."""

import datetime
import re
from urllib.parse import quote

from playwright.sync_api import expect

from tests.helpers import make_person
from tests.ui.world import log_in, make_world


def rows(page):
    return page.locator("#results tbody tr")


def patron_requests(page):
    """The URLs of the page's requests to the patron search API, as they are sent."""
    seen = []
    page.on("request", lambda req: "/api/patrons/?" in req.url and seen.append(req.url))
    return seen


def documents(page):
    """The page loads (a form sent by Enter would be one)."""
    seen = []
    page.on("request", lambda req: req.resource_type == "document" and seen.append(req.url))
    return seen


def facet(page, title):
    return page.locator("#facets fieldset.facet", has=page.locator("legend", has_text=title))


def test_results_follow_the_typing_debounced(page, shot):
    make_world()
    log_in(page, "librarian")
    expect(page.locator("#result-count")).to_have_text("4 patrons")
    sent = patron_requests(page)
    loads = documents(page)
    # a librarian types a name key by key (80 ms a key): no Enter, no button
    page.get_by_label("Search patrons").press_sequentially("Bernasconi", delay=80)
    expect(page.locator("#result-count")).to_have_text("1 patron")
    expect(rows(page).first).to_contain_text("Bernasconi, Bruno")
    expect(page).to_have_url(re.compile(r"/staff/patrons\?q=Bernasconi$"))
    page.wait_for_timeout(400)
    # debounced: ten keys, far fewer searches (each one query; no search per key)
    searched = [url for url in sent if "q=" in url and "size=1" not in url]
    assert 1 <= len(searched) <= 3, searched
    assert not loads, loads
    shot(page, "search-typing")


def test_an_older_answer_never_replaces_a_newer_one(page):
    make_world()
    log_in(page, "librarian")
    expect(page.locator("#result-count")).to_have_text("4 patrons")
    held = []
    # the answer for "Be" is held back until the answer for "Cattaneo" is on screen
    page.route(lambda url: url.endswith("q=Be"), lambda route: held.append(route))
    box = page.get_by_label("Search patrons")
    box.fill("Be")
    page.wait_for_timeout(600)
    assert held, "the search for 'Be' was not sent"
    box.fill("Cattaneo")
    expect(page.locator("#results tbody a.name")).to_have_text(["Cattaneo, Carla"])
    for route in held:
        try:
            route.continue_()
        except Exception:  # noqa: BLE001 - the page aborted it already: all the better
            pass
    page.wait_for_timeout(700)
    expect(page.locator("#results tbody a.name")).to_have_text(["Cattaneo, Carla"])
    expect(page.locator("#result-count")).to_have_text("1 patron")


def test_enter_searches_at_once_and_never_sends_the_form(page):
    make_world()
    log_in(page, "librarian")
    expect(page.locator("#result-count")).to_have_text("4 patrons")
    loads = documents(page)
    box = page.get_by_label("Search patrons")
    box.fill("Aebischer")
    box.press("Enter")
    expect(page.locator("#results tbody a.name")).to_have_text(["Aebischer, Alice"])
    expect(page).to_have_url(re.compile(r"/staff/patrons\?q=Aebischer$"))
    page.wait_for_timeout(300)
    assert not loads, loads  # the results came through the API, the page stayed


def test_a_scanned_card_matching_one_patron_opens_the_record(page):
    world = make_world()
    log_in(page, "librarian")
    expect(page.locator("#result-count")).to_have_text("4 patrons")
    box = page.get_by_label("Search patrons")
    # the beginning of a card number is no scan of a card: the list stays
    box.fill("20500001")
    box.press("Enter")
    expect(page.locator("#results tbody a.name")).to_have_text(["Aebischer, Alice"])
    expect(page).to_have_url(re.compile(r"/staff/patrons\?q=20500001$"))
    # a scanner types the whole card number, then Enter
    box.fill("2050000222")
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.bruno_pid}$"))
    expect(page.get_by_role("heading", name=re.compile("Bruno Bernasconi"))).to_be_visible()
    # Back: the list of the scan, not a dead end
    page.go_back()
    expect(page.get_by_label("Search patrons")).to_have_value("2050000222")
    expect(page.locator("#results tbody a.name")).to_have_text(["Bernasconi, Bruno"])


def test_a_scanned_card_opens_even_with_a_filter_left_ticked(page):
    """The desk's case of the walk-through: "Adult" ticked, a child's card scanned."""
    world = make_world()
    log_in(page, "librarian")
    facet(page, "Patron type").get_by_label("Adult (2)").check()
    expect(page.locator("#result-count")).to_have_text("2 patrons")
    box = page.get_by_label("Search patrons")
    box.fill("2050000222")  # Bruno's card: Bruno is a child
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.bruno_pid}$"))


def test_active_filters_are_chips_and_a_facet_keeps_its_other_values(page, shot):
    make_world()
    log_in(page, "librarian")
    chips = page.locator("#active-filters")
    expect(chips).to_be_hidden()
    # a yes/no facet keeps its other answer, one answer at a time
    blocked = facet(page, "Blocked")
    blocked.get_by_label(re.compile(r"^No \(\d\)$")).check()
    expect(page.locator("#result-count")).to_have_text("3 patrons")
    expect(blocked.get_by_label("Yes (1)")).to_be_visible()
    expect(chips.get_by_role("button", name="Remove the filter Blocked: No")).to_be_visible()
    blocked.get_by_label("Yes (1)").check()
    expect(page.locator("#result-count")).to_have_text("1 patron")
    expect(blocked.get_by_label(re.compile(r"^No \(\d\)$"))).not_to_be_checked()
    blocked.get_by_label("Yes (1)").uncheck()
    expect(page.locator("#result-count")).to_have_text("4 patrons")
    expect(chips).to_be_hidden()
    types = facet(page, "Patron type")
    types.get_by_label("Adult (2)").check()
    expect(page.locator("#result-count")).to_have_text("2 patrons")
    expect(page).to_have_url(re.compile(r"patron_type="))
    # the other value of the facet is still there, with its own count
    expect(types.get_by_label("Child (1)")).to_be_visible()
    expect(types.get_by_label("Child (1)")).not_to_be_checked()
    expect(chips).to_be_visible()
    expect(chips).to_contain_text("Active filters:")
    expect(chips.get_by_role("button", name="Remove the filter Patron type: Adult")).to_be_visible()
    # two values of a facet: either
    types.get_by_label("Child (1)").check()
    expect(page.locator("#result-count")).to_have_text("3 patrons")
    expect(chips.get_by_role("button", name=re.compile("^Remove the filter"))).to_have_count(2)
    shot(page, "search-chips")
    # a chip removes its filter
    chips.get_by_role("button", name="Remove the filter Patron type: Adult").click()
    expect(page.locator("#results tbody a.name")).to_have_text(["Bernasconi, Bruno"])
    expect(types.get_by_label("Adult (2)")).not_to_be_checked()
    # Back puts it back, as the URL says
    page.go_back()
    expect(page.locator("#result-count")).to_have_text("3 patrons")
    chips.get_by_role("button", name="Clear all filters").click()
    expect(page.locator("#result-count")).to_have_text("4 patrons")
    expect(chips).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/staff/patrons$"))


def test_a_new_query_says_which_filters_are_still_active(page, shot):
    make_world()
    log_in(page, "librarian")
    facet(page, "Patron type").get_by_label("Adult (2)").check()
    expect(page.locator("#result-count")).to_have_text("2 patrons")
    # a new name typed: Bruno is a child, the Adult filter hides him, and the page says so
    page.get_by_label("Search patrons").fill("Bruno")
    chips = page.locator("#active-filters")
    expect(chips).to_contain_text("Filters still active from your previous search:")
    expect(chips).to_have_class(re.compile(r"\bkept\b"))
    expect(page.locator("#results")).to_contain_text("No patron matches this search with the active filters.")
    shot(page, "search-filters-kept")
    page.get_by_role("button", name="Show the 1 patron found without the filters").click()
    expect(page.locator("#results tbody a.name")).to_have_text(["Bernasconi, Bruno"])
    expect(chips).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/staff/patrons\?q=Bruno$"))


def test_facets_collapse_behind_a_toggle_on_a_tablet(page, shot):
    make_world()
    log_in(page, "librarian")
    toggle = page.get_by_role("button", name=re.compile("^Filters"))
    expect(toggle).to_be_hidden()  # wide screen: the facets beside the results
    expect(page.locator("#facets")).to_be_visible()
    page.set_viewport_size({"width": 820, "height": 1180})
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#facets")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    facet(page, "Patron type").get_by_label("Adult (2)").check()
    expect(page.locator("#result-count")).to_have_text("2 patrons")
    expect(toggle).to_contain_text("(1)")
    shot(page, "search-tablet")
    toggle.click()
    expect(page.locator("#facets")).to_be_hidden()
    expect(page.locator("#active-filters")).to_contain_text("Patron type: Adult")


def no_sideways_scrolling(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page is {width}px wide on a {viewport}px screen"


def test_search_page_on_a_phone_has_no_horizontal_scrolling(page, shot):
    make_world()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "librarian")
    expect(page.locator("#result-count")).to_have_text("4 patrons")
    no_sideways_scrolling(page)
    # every value of a patron inside the screen, the table become cards
    cell = rows(page).first.locator("td").first
    box = cell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    page.get_by_role("button", name=re.compile("^Filters")).click()
    facet(page, "Blocked").get_by_label("Yes (1)").check()
    expect(page.locator("#result-count")).to_have_text("1 patron")
    no_sideways_scrolling(page)
    shot(page, "search-phone")


def test_a_scan_sent_before_the_page_script_ran_still_opens_the_record(page):
    """Enter before the script is ready sends the form itself (with scan=1): still a scan, once."""
    world = make_world()
    log_in(page, "librarian")
    page.goto("/staff/patrons?q=2050000222&scan=1")
    expect(page).to_have_url(re.compile(rf"/staff/patrons/{world.bruno_pid}$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/staff/patrons\?q=2050000222$"))
    expect(page.locator("#results tbody a.name")).to_have_text(["Bernasconi, Bruno"])
    # without scan=1, the same query in the URL is a list (a link, a reload)
    page.goto("/staff/patrons?q=2050000222")
    expect(page.locator("#results tbody a.name")).to_have_text(["Bernasconi, Bruno"])


def test_the_desk_finds_by_three_letters_a_lower_case_card_and_a_swiss_date(page):
    """What librarians type (issue 14): the first letters of a last name, a card number in
    lower case, a birth date as written in Switzerland."""
    world = make_world()
    make_person(
        world.org, ["patron"], ptype=world.adult, barcode="TL000009",
        user={"username": "sandrine", "email": "sandrine@example.org", "first_name": "Sandrine", "last_name": "Chevrolet",
              "birth_date": "1952-05-21", "city": "Delémont"},
    )
    log_in(page, "librarian")
    box = page.get_by_label("Search patrons")
    for typed in ("che", "Chevro"):
        box.fill(typed)
        expect(page).to_have_url(re.compile(rf"\?q={typed}$"))  # searched, not only shown still
        expect(page.locator("#result-count")).to_have_text("1 patron")
        expect(rows(page).first).to_contain_text("Chevrolet, Sandrine")
    box.fill("Bern")  # a last-name prefix finds Bruno, not the city of Carla first
    expect(rows(page).first).to_contain_text("Bernasconi, Bruno")
    for date in ("21.05.1952", "21/05/1952"):
        box.fill(date)
        expect(page).to_have_url(re.compile(re.escape("?q=" + quote(date, safe="")) + "$"))
        expect(page.locator("#result-count")).to_have_text("1 patron")
        expect(rows(page).first).to_contain_text("Chevrolet, Sandrine")
    box.fill("tl000009")
    box.press("Enter")  # one card, one patron: the record opens
    expect(page).to_have_url(re.compile(r"/staff/patrons/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("Sandrine Chevrolet"))).to_be_visible()


def test_what_is_typed_while_the_page_still_loads_is_searched(page):
    """A librarian who types before the page has finished loading its labels: the first
    search is of the box, not of the URL (it used to clear the pending typing, and the
    whole list stayed on screen). The clock is paused so the order is always that one."""
    make_world()
    held = []
    page.route("**/api/patron_types/**", lambda route: held.append(route))
    log_in(page, "librarian")
    page.clock.install()
    page.clock.pause_at(datetime.datetime.now() + datetime.timedelta(minutes=1))
    page.get_by_label("Search patrons").fill("Bernasconi")  # its debounce waits on the clock
    with page.expect_response(re.compile(r"/api/patrons/\?")):
        held[0].continue_()
    page.clock.run_for(1000)
    expect(page).to_have_url(re.compile(r"\?q=Bernasconi$"))
    expect(page.locator("#results tbody a.name")).to_have_text(["Bernasconi, Bruno"])
