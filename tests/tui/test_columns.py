"""Column widths per fill: names give way before images; and the workload table at 80 columns."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from hotclone.tui.columns import Column, fit, fitted_rows, shorten
from tests.tui.conftest import focus_container, focus_env, make_app
from tests.tui.fake_session import FakeSession

COLUMNS = (Column("name", shrink=1, minimum=4), Column("ready"), Column("image", shrink=2, minimum=10, keep_end=True))


def test_rows_that_fit_keep_their_natural_widths() -> None:
    assert fit(COLUMNS, [["web", "2/2", "topicshare/web:1.9.4"]], 80) == [4, 5, 20]


def test_names_give_way_before_the_image() -> None:
    rows = [["order-fulfilment-reconciliation-worker", "3/3", "topicshare/web:1.9.4"]]
    widths = fit(COLUMNS, rows, 40)  # 2 cells of padding per column
    assert widths == [9, 5, 20] and sum(widths) + 6 == 40
    assert fitted_rows(COLUMNS, rows, widths) == [["order-fu…", "3/3", "topicshare/web:1.9.4"]]


def test_the_image_is_shortened_last_and_keeps_its_tag() -> None:
    rows = [["order-fulfilment", "3/3", "registry.example.com/fulfilment/reconciliation:3.14.2"]]
    widths = fit(COLUMNS, rows, 6 + 4 + 5 + 30)
    assert widths == [4, 5, 30]
    # The start gives way, cut at a path segment: the repository's name and the tag stay.
    assert fitted_rows(COLUMNS, rows, widths)[0][2] == "…/reconciliation:3.14.2"


def test_minimums_hold_and_the_table_scrolls_beyond_them() -> None:
    rows = [["a-very-long-name", "3/3", "registry.example.com/a/very/long/image:1"]]
    assert fit(COLUMNS, rows, 10) == [4, 5, 10]


def test_the_widest_of_a_group_gives_way_first() -> None:
    columns = (Column("a", shrink=1, minimum=2), Column("b", shrink=1, minimum=2))
    assert fit(columns, [["x" * 20, "y" * 6]], 4 + 16) == [10, 6]


def test_shorten_counts_cells_not_characters() -> None:
    assert shorten("한글한글", 5) == "한글…"
    assert shorten("short", 5) == "short"
    assert shorten("abcdef", 1) == "…"


async def test_widths_follow_the_environment_shown_at_80_columns() -> None:
    """After an application with long names, TopicShare's images are shown whole again."""
    app = make_app(FakeSession(long_names=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "fulfilment/performance-regression-march")
        table = app.main_screen.query_one("#workloads", DataTable)
        row = table.get_row("Deployment/order-fulfilment-reconciliation-worker|reconciliation-worker")
        assert row[1].endswith("…") and row[4].endswith("/reconciliation:3.14.2")
        await focus_env(pilot, "topicshare/hotfix-ko")
        images = [table.get_row_at(i)[4] for i in range(table.row_count)]
        assert "opensearchproject/opensearch:2.11.1" in images and "topicshare/web:1.9.4" in images
        widths = sum(c.get_render_width(table) for c in table.columns.values())
        assert widths <= table.size.width


async def test_a_shortened_row_is_shown_in_full_below_the_table() -> None:
    app = make_app(FakeSession(long_names=True))
    async with app.run_test(size=(80, 24)) as pilot:
        row = "Deployment/order-fulfilment-reconciliation-worker|prometheus-metrics-exporter-sidecar"
        await focus_container(pilot, "fulfilment/performance-regression-march", row)
        detail = app.main_screen.query_one("#workload-detail", Static)
        assert detail.display
        text = str(detail.render())
        assert "order-fulfilment-reconciliation-worker" in text and "prometheus-metrics-exporter-sidecar" in text
        assert "quay.io/prometheus/statsd-exporter:v0.26.1" in text
        await focus_env(pilot, "topicshare/production")  # nothing shortened there: no detail line
        assert not detail.display
