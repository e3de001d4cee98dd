"""Headless Chromium (Debian's /usr/bin/chromium and chromedriver) driving the admin.

Tests here carry the ``browser`` marker and run in ``make test`` (they are not
integration tests): the live server is pytest-django's ``live_server``.
"""

import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real headless Chromium (tests/browser)")


@pytest.fixture
def browser():
    """A headless Chromium session, closed after the test."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        # Never a skip: `make test` installs them (make system), so a missing browser is a
        # broken setup, and a skipped test would hide it.
        pytest.fail("Chromium and chromedriver are not installed: run `make system`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1600",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def eager_celery(settings):
    """Celery tasks run in the live server's thread (fan-out of statuses, moderation tasks)."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
