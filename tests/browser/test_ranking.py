"""In Chromium: staff open the ranking of a call; Chart.js (installed from npm, served as our
own static file) draws both charts under the CSP without a console error, and on a phone the
page keeps to the screen width (the wide table scrolls inside its box)."""

import pytest
from django.contrib.staticfiles import finders
from pytest_django.live_server_helper import LiveServer

from reviews.views.ranking import CHART_JS
from tests.browser.pages import DEMO_PASSWORD, DESKTOP, PHONE, fits_the_screen, new_page, shoot, sign_in
from tests.conftest import need
from tests.reviews.factories import make_staff
from tests.reviews.test_ranking import build_call

pytestmark = pytest.mark.browser


@pytest.fixture
def ranking_url(transactional_db: None, live_server: LiveServer) -> str:
    need(finders.find(CHART_JS) is not None, "node_modules/chart.js is missing (make runs npm ci)")
    call, _experts, _applications = build_call(12, experts=10)
    staff = make_staff("SC", email="ranking.staff@example.test")
    staff.set_password(DEMO_PASSWORD)
    staff.save()
    return f"{live_server.url}/review/calls/{call.pk}/ranking/"


def test_staff_see_the_ranking_with_both_charts_drawn(browser, ranking_url):
    base = ranking_url.split("/review/")[0]
    page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, "ranking.staff@example.test")
    page.goto(ranking_url)

    page.wait_for_selector("html.ranking-charts-drawn")
    assert page.locator(".ranking-table tbody tr").count() == 12
    for canvas in ("#chart-experts", "#chart-provinces"):
        # Drawn: the canvas has a size and some pixels that are not transparent.
        painted = page.evaluate(
            """(selector) => {
                const canvas = document.querySelector(selector);
                const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
                let alpha = 0;
                for (let i = 3; i < data.length; i += 4) alpha += data[i] > 0;
                return canvas.width > 0 && canvas.height > 0 && alpha > 100;
            }""",
            canvas,
        )
        assert painted, canvas
    assert problems.messages == []

    phone, phone_problems = new_page(browser, PHONE)
    sign_in(phone, base, "ranking.staff@example.test")
    phone.goto(ranking_url)
    phone.wait_for_selector("html.ranking-charts-drawn")
    assert fits_the_screen(phone)
    shoot(phone, "ranking-phone.png", full_page=True)
    assert phone_problems.messages == []
