"""Headless Debian Chromium driven by Playwright (no browser download, ever)."""

import pytest
from django.db import connections
from django.db.backends.signals import connection_created

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


@pytest.fixture(scope="session")
def _stray_connections_closed(django_db_setup):
    """Close the database connections the browser tests leave open before
    the test database is dropped, or PostgreSQL refuses to drop a database
    that still has a session. Playwright's sync API runs the test in a
    greenlet, and the live server answers in threads of its own: both get
    connection wrappers other than the one pytest-django closes. Only the raw
    connection is closed: Django's wrapper refuses to be closed from another
    thread."""
    opened = []

    def remember(sender, connection, **kwargs):
        opened.append(connection)

    connection_created.connect(remember, weak=False)
    yield
    connection_created.disconnect(remember)
    for wrapper in opened:
        if wrapper is not connections["default"] and wrapper.connection is not None:
            wrapper.connection.close()


@pytest.fixture
def page(live_server, monkeypatch, _stray_connections_closed):
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # made by fixtures in the same thread are still synchronous and safe.
    # Set for this test only: it must not leak into other tests' subprocesses.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        # Let in-flight requests (thumbnails, renders) finish before the test
        # database is flushed under the live server's feet.
        page.wait_for_load_state("networkidle")
        context.close()
        browser.close()


def sign_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/")
