"""The admin's pages in a real browser, and every page kept to the content security policy: no script or style
but leadpact's own files, the API's documentation included, which works without any other site."""

from __future__ import annotations

from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from leadpact.services import webhooks
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import hand_off, owner_name
from tests.web.conftest import PHONE, Site, sign_in


def _violations(page: Page) -> list[str]:
    """Collect what the browser refused by the content security policy, from now on."""
    refused: list[str] = []

    def heard(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            refused.append(message.text)

    page.on("console", heard)
    return refused


def test_an_admin_adds_a_webhook_sees_its_secret_once_and_removes_it_after_confirming(
    browser: Browser, site: Site
) -> None:
    page = sign_in(browser, site, "root")
    page.get_by_role("link", name="Webhooks").click()
    add = page.locator("section", has=page.get_by_role("heading", name="Add a webhook"))
    add.get_by_label("URL").fill("https://crm.acme.example/hook")
    add.get_by_label("lead.assigned").check()
    add.get_by_role("button", name="Add webhook").click()
    shown = page.locator("section", has=page.get_by_role("heading", name="Webhook 1 added"))
    secret = shown.locator("pre").inner_text()
    assert secret.startswith("whsec_")
    row = page.locator("tr", has_text="https://crm.acme.example/hook")
    expect(row).to_contain_text("lead.assigned")
    expect(row).to_contain_text("delivering")
    page.goto(f"{site.url}/admin/webhooks")
    assert secret not in page.content()  # shown once

    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Remove").click()
    expect(row).to_be_visible()  # not confirmed: kept
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No webhook yet.")).to_be_visible()
    with UnitOfWork(site.engine) as uow:
        assert webhooks.subscriptions(uow) == []

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    trail = page.get_by_role("table", name="Audit trail, newest first")
    expect(trail.locator("tbody tr").nth(0)).to_contain_text("removed a webhook")
    expect(trail.locator("tbody tr").nth(1)).to_contain_text("added a webhook")
    expect(trail.locator("tbody tr").nth(1)).to_contain_text("root")
    expect(trail.locator("tbody tr").nth(1)).to_contain_text("web 127.0.0.1")  # from where


def test_every_page_keeps_to_the_content_security_policy(browser: Browser, site: Site) -> None:
    hand_off(site.engine, site.clock, site.inforce, "ann@factory.example", first_name="Ann")
    rep = owner_name(site.engine, "ann@factory.example")
    assert rep is not None
    for who, paths in (
        ("mia", ["/dashboard", "/leads", "/leads/1", "/campaigns", "/import"]),
        ("dana", ["/agreement", "/agreement/new", "/team"]),
        (rep, ["/queue", "/pipeline"]),
        ("root", ["/admin/people", "/admin/tokens", "/admin/forms", "/admin/webhooks", "/admin/audit"]),
    ):
        page = sign_in(browser, site, who, viewport=PHONE if who == rep else None)
        refused = _violations(page)
        for path in paths:
            page.goto(f"{site.url}{path}")
            page.wait_for_load_state("networkidle")
        if who == "mia":
            page.goto(f"{site.url}/dashboard")
            expect(page.locator("canvas[data-drawn]").first).to_be_attached()  # Chart.js ran: a file, not inline
        if who == rep:
            page.goto(f"{site.url}/queue")
            expect(page.locator("[data-due]").first).to_contain_text("left")  # the countdown's script ran
        assert refused == [], (who, refused)
        page.context.close()


def test_the_api_documentation_works_from_the_apps_own_files(browser: Browser, site: Site) -> None:
    context = browser.new_context()
    page = context.new_page()
    refused = _violations(page)
    elsewhere: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(site.url) else elsewhere.append(request.url))
    page.goto(f"{site.url}/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text("/api/v1/webhooks").first).to_be_attached()
    assert refused == []
    assert elsewhere == []  # no other site: it works offline
    context.close()
