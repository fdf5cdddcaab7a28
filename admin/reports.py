"""Reports with charts (admins and sysadmins): ``/admin/reports`` shows every report of a
period as a table, the truth, which works without script, and a chart that
``static/reports.js`` draws from the report's JSON (``/admin/api/reports/<name>``) when
the vendored Chart.js is there. Each report has its CSV (``/admin/reports/<name>.csv``).

The figures come from :mod:`core.reports`; here they become columns and rows (raw
values, written for the user by Babel in their language) and chart data. Each report has
its own routes, made in a loop, so the route walks of the tests and of the bench see
every one.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time, get_day_names
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup
from quart import Response, abort, current_app, jsonify, request, url_for
from quart.typing import ResponseReturnValue

from admin.access import ADMINS, config, current_user, data, page
from admin.blueprint import admin, asset, render, vendored
from admin.words import Words, words_for
from core import reports as r
from core.directory import business_info
from core.errors import NoBusiness
from core.store import Rules, load_rules

__all__ = ["REPORTS", "Report", "build_report"]

Kind = Literal["text", "int", "hours", "percent", "date", "heat"]


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class Report:
    """One report of a period: its table (raw values) and its chart's data."""

    name: str
    title: str
    about: str
    columns: list[Column]
    rows: list[list[Any]]
    chart: dict[str, Any]
    heat_max: float = 0
    """The largest value of a weekday × hour table (its cells are shaded by it)."""


CACHE = "slotwise.admin.reports"
"""``app.extensions`` key of the figures read lately (see :func:`facts_for`)."""
CACHE_SECONDS = 60.0
CACHE_SIZE = 16


@dataclass
class Facts:
    """What the reports of a period read, each read once: the page shows them all, then its
    charts ask for the same figures again (see :func:`facts_for`)."""

    period: r.Period
    now: datetime
    found: dict[str, Any] = field(default_factory=dict)
    made: float = field(default_factory=time.monotonic)

    async def get(self, key: str, read: Callable[[], Awaitable[Any]]) -> Any:
        """The figure, read by the first who asks; those who ask meanwhile wait for it."""
        if key not in self.found:
            self.found[key] = asyncio.ensure_future(read())
        try:
            return await self.found[key]
        except BaseException:
            self.found.pop(key, None)  # a failed read is not kept
            raise

    async def rules(self) -> Rules:
        rules: Rules = await self.get("rules", load_rules)
        return rules

    async def read(self, key: str, report: Callable[[r.Period, Rules], Awaitable[Any]]) -> Any:
        """A report of :mod:`core.reports` for the period, read once."""
        rules = await self.rules()
        return await self.get(key, lambda: report(self.period, rules))

    async def counted(self, key: str, report: Callable[..., Awaitable[Any]]) -> Any:
        """A report made from rows another report counts too (read once for both)."""
        rules = await self.rules()
        source = r.starts if key in ("peak", "outcomes") else r.tallies
        rows = await self.get(source.__name__, lambda: source(self.period, rules))
        return await self.get(key, lambda: report(self.period, rules, rows))

    async def uses(self) -> list[r.Use]:
        rules = await self.rules()
        uses: list[r.Use] = await self.get("uses", lambda: r.utilization(self.period, rules))
        return uses

    async def starts_grid(self) -> r.Grid:
        grid: r.Grid = await self.counted("peak", r.peak_hours)
        return grid

    async def empty(self) -> r.EmptyTime:
        rules = await self.rules()
        found: r.EmptyTime = await self.get(
            "empty", lambda: r.empty_time(self.period, self.now, rules)
        )
        return found


def facts_for(period: r.Period) -> Facts:
    """The figures of this period read in the last minute, or a fresh start.

    The page and the nine requests of its charts come within a second or two and want the
    same figures: reading them once halves the work. A report is at most a minute old;
    the period and the minute of the panel's clock are the key.
    """
    now = config().clock()
    cache: dict[tuple[Any, ...], Facts] = current_app.extensions.setdefault(CACHE, {})
    key = (period, now.replace(second=0, microsecond=0))
    found = cache.get(key)
    if found is not None and time.monotonic() - found.made < CACHE_SECONDS:
        return found
    if len(cache) >= CACHE_SIZE:
        cache.clear()
    cache[key] = Facts(period, now)
    return cache[key]


# --------------------------------------------------------------------------- the reports


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


async def _utilization(facts: Facts, words: Words, rooms: bool) -> Report:
    _ = words._
    uses = [u for u in await facts.uses() if (u.kind != "staff") == rooms]
    name = "rooms" if rooms else "providers"
    title = _("Utilization per room") if rooms else _("Utilization per provider")
    return Report(
        name=name,
        title=title,
        about=_(
            "Booked time over open time (open: the weekly hours and date overrides, less "
            "blocks; booked: appointments without buffers, cancelled ones left out). For a "
            "resource with several seats, seat-hours over open hours times the seats."
        ),
        columns=[
            Column(_("Resource"), "text"),
            Column(_("Open hours"), "hours"),
            Column(_("Booked hours"), "hours"),
            Column(_("Utilization"), "percent"),
        ],
        rows=[[u.name, _hours(u.open_min), _hours(u.booked_min), u.share] for u in uses],
        chart={
            "type": "bar",
            "horizontal": True,
            "percent": True,
            "labels": [u.name for u in uses],
            "datasets": [
                {
                    "label": _("Utilization"),
                    "data": [
                        None if u.share is None else float(_tenth(u.share) * 100) for u in uses
                    ],
                }
            ],
        },
    )


def _weekdays(words: Words) -> list[str]:
    names = get_day_names("abbreviated", locale=words.lang)
    return [str(names[i]) for i in range(7)]


def _hour_label(hour: int, words: Words) -> str:
    return _hour_text(hour, words.lang)


@lru_cache(maxsize=256)
def _hour_text(hour: int, lang: str) -> str:
    return str(format_time(clock_time(hour), "short", locale=lang))


def _heat(name: str, title: str, about: str, grid: r.Grid, words: Words, unit: Kind) -> Report:
    """A weekday × hour table: only the hours from the first to the last with anything in
    them (9 to 17 when all are empty)."""
    used = [h for h in range(24) if any(day[h] for day in grid)]
    first, last = (used[0], used[-1]) if used else (9, 17)
    hours = list(range(first, last + 1))
    days = _weekdays(words)
    values = [[round(grid[d][h], 2) for h in hours] for d in range(7)]
    return Report(
        name=name,
        title=title,
        about=about,
        columns=[
            Column(words._("Weekday"), "text"),
            *(Column(_hour_label(h, words), unit) for h in hours),
        ],
        rows=[[days[d], *values[d]] for d in range(7)],
        chart={
            "type": "heatmap",
            "rows": days,
            "columns": [_hour_label(h, words) for h in hours],
            "values": values,
            "label": title,
        },
        heat_max=max((v for row in values for v in row), default=0),
    )


async def _peak(facts: Facts, words: Words) -> Report:
    _ = words._
    return _heat(
        "peak",
        _("Peak hours"),
        _(
            "Bookings (not cancelled) by the weekday and hour they start, in the business's "
            "timezone."
        ),
        await facts.starts_grid(),
        words,
        "int",
    )


def _channel_name(channel: str, words: Words) -> str:
    _ = words._
    named = {
        "": _("unknown"),
        "file": _("imported from a file"),
        "admin": _("admin panel"),
        "api": "API",
        "sms": "SMS",
        "telegram": "Telegram",
        "whatsapp": "WhatsApp",
        "slack": "Slack",
        "web": _("web"),
        "webchat": _("web chat"),
    }
    return named.get(channel, channel)


def _tally_report(name: str, title: str, about: str, tallies: list[r.Tally], w: Words) -> Report:
    _ = w._
    return Report(
        name=name,
        title=title,
        about=about,
        columns=[
            Column(_("Channel") if name == "channels" else _("Service"), "text"),
            Column(_("Bookings"), "int"),
            Column(_("Kept"), "int"),
            Column(_("Cancelled"), "int"),
            Column(_("No-shows"), "int"),
        ],
        rows=[[t.name, t.total, t.kept, t.cancelled, t.no_show] for t in tallies],
        chart={
            "type": "bar",
            "stacked": True,
            "labels": [t.name for t in tallies],
            "datasets": [
                {"label": _("Kept"), "data": [t.kept for t in tallies]},
                {"label": _("Cancelled"), "data": [t.cancelled for t in tallies]},
                {"label": _("No-shows"), "data": [t.no_show for t in tallies]},
            ],
        },
    )


async def _channels(facts: Facts, words: Words) -> Report:
    tallies = [
        r.Tally(t.key, _channel_name(t.key, words), t.total, t.cancelled, t.no_show)
        for t in await facts.counted("channels", r.by_channel)
    ]
    return _tally_report(
        "channels",
        words._("Bookings by channel"),
        words._(
            "Bookings that start in the period by where they were made; kept: neither "
            "cancelled nor a no-show."
        ),
        tallies,
        words,
    )


async def _services(facts: Facts, words: Words) -> Report:
    return _tally_report(
        "services",
        words._("Bookings by service"),
        words._(
            "Bookings that start in the period by service; kept: neither cancelled nor a no-show."
        ),
        await facts.counted("services", r.by_service),
        words,
    )


def _lead_label(key: str, words: Words) -> str:
    _ = words._
    return {
        "under-2h": _("under 2 hours"),
        "2h-1d": _("2 to 24 hours"),
        "1-2d": _("1 to 2 days"),
        "2-7d": _("2 to 7 days"),
        "7-14d": _("1 to 2 weeks"),
        "14-30d": _("2 weeks to 30 days"),
        "30-60d": _("30 to 60 days"),
        "60d-": _("60 days or more"),
    }[key]


async def _lead(facts: Facts, words: Words) -> Report:
    _ = words._
    buckets = await facts.read("lead", r.lead_times)
    labels = [_lead_label(b.key, words) for b in buckets]
    return Report(
        name="lead",
        title=_("Lead time"),
        about=_(
            "How long before the start people booked: bookings that start in the period, "
            "not cancelled, imported ones left out."
        ),
        columns=[Column(_("Booked ahead"), "text"), Column(_("Bookings"), "int")],
        rows=[[label, b.count] for label, b in zip(labels, buckets, strict=True)],
        chart={
            "type": "bar",
            "labels": labels,
            "datasets": [{"label": _("Bookings"), "data": [b.count for b in buckets]}],
        },
    )


def _date_label(day: date, words: Words) -> str:
    return _cell_text(day, "date", words.lang)


async def _outcomes(facts: Facts, words: Words) -> Report:
    _ = words._
    found = await facts.counted("outcomes", r.outcomes)
    weekly = facts.period.weekly
    labels = [_date_label(o.start, words) for o in found]
    return Report(
        name="outcomes",
        title=_("Cancellations and no-shows"),
        about=_(
            "Bookings by the week they start in, from Mondays, with cancellations and no-shows."
        )
        if weekly
        else _("Bookings by the day they start, with cancellations and no-shows."),
        columns=[
            Column(_("Week of") if weekly else _("Day"), "date"),
            Column(_("Bookings"), "int"),
            Column(_("Cancelled"), "int"),
            Column(_("No-shows"), "int"),
        ],
        rows=[[o.start, o.total, o.cancelled, o.no_show] for o in found],
        chart={
            "type": "line",
            "labels": labels,
            "datasets": [
                {"label": _("Bookings"), "data": [o.total for o in found]},
                {"label": _("Cancelled"), "data": [o.cancelled for o in found]},
                {"label": _("No-shows"), "data": [o.no_show for o in found]},
            ],
        },
    )


async def _empty(facts: Facts, words: Words) -> Report:
    _ = words._
    empty = await facts.empty()
    uses = sorted(empty.by_resource, key=lambda u: -empty.empty_min(u))
    return Report(
        name="empty",
        title=_("Empty time per resource"),
        about=_(
            "Open time in which nothing at all was booked, from the first day of the "
            "period until now, the emptiest first."
        ),
        columns=[
            Column(_("Resource"), "text"),
            Column(_("Open hours"), "hours"),
            Column(_("Empty hours"), "hours"),
            Column(_("Empty"), "percent"),
        ],
        rows=[
            [
                u.name,
                _hours(u.open_min),
                _hours(empty.empty_min(u)),
                empty.empty_min(u) / u.open_min if u.open_min else None,
            ]
            for u in uses
        ],
        chart={
            "type": "bar",
            "horizontal": True,
            "labels": [u.name for u in uses],
            "datasets": [
                {"label": _("Empty hours"), "data": [_hours(empty.empty_min(u)) for u in uses]}
            ],
        },
    )


async def _empty_hours(facts: Facts, words: Words) -> Report:
    _ = words._
    return _heat(
        "empty-hours",
        _("Empty hours by weekday and hour"),
        _(
            "Open hours of all resources together in which nothing was booked, from the "
            "first day of the period until now, by weekday and hour."
        ),
        (await facts.empty()).hours,
        words,
        "hours",
    )


async def _providers(facts: Facts, words: Words) -> Report:
    return await _utilization(facts, words, rooms=False)


async def _rooms(facts: Facts, words: Words) -> Report:
    return await _utilization(facts, words, rooms=True)


Builder = Callable[[Facts, Words], Awaitable[Report]]
REPORTS: dict[str, Builder] = {
    "providers": _providers,
    "rooms": _rooms,
    "peak": _peak,
    "channels": _channels,
    "services": _services,
    "lead": _lead,
    "outcomes": _outcomes,
    "empty": _empty,
    "empty-hours": _empty_hours,
}
"""Every report, in the page's order."""


async def build_report(name: str, facts: Facts, words: Words) -> Report:
    return await REPORTS[name](facts, words)


# --------------------------------------------------------------------------- the period


class PeriodError(ValueError):
    """A period the form cannot give: the message names the field and the fix."""


async def _period(words: Words) -> r.Period:
    """The period of the query string (``from``, ``to``: local dates); by default the
    past 30 days and the coming 30."""
    _ = words._
    zone = words.home_zone
    today = config().clock().astimezone(ZoneInfo(zone)).date()
    default = r.default_period(today, zone)
    days: dict[str, date] = {}
    for key, label, fallback in (
        ("from", _("From"), default.first),
        ("to", _("To"), default.last),
    ):
        text = request.args.get(key, "").strip()
        try:
            days[key] = date.fromisoformat(text) if text else fallback
        except ValueError:
            raise PeriodError(
                _("{field}: write the day as YYYY-MM-DD, for example 2026-12-01.").format(
                    field=label
                )
            ) from None
    if days["to"] < days["from"]:
        raise PeriodError(_("To: choose a day on or after the first day."))
    if (days["to"] - days["from"]).days >= r.MAX_DAYS:
        raise PeriodError(
            _("To: a report covers at most {days} days; choose an earlier last day.").format(
                days=r.MAX_DAYS
            )
        )
    return r.Period(days["from"], days["to"], zone)


# --------------------------------------------------------------------------- writing


def cell_text(value: Any, kind: Kind, words: Words) -> str:
    """A value as the user reads it (Babel, their language)."""
    return _cell_text(value, kind, words.lang)


@lru_cache(maxsize=4096)
def _cell_text(value: Any, kind: Kind, lang: str) -> str:
    """Remembered: a report's tables repeat their numbers, and Babel takes its time."""
    if value is None:
        return "—"
    if kind == "int":
        return str(format_decimal(value, locale=lang))
    if kind == "hours":
        return str(format_decimal(value, "#,##0.#", locale=lang))
    if kind == "percent":
        # The language's own pattern ("7.7%", "7,7 %"), to a tenth of a percent.
        return str(format_percent(_tenth(value), locale=lang, decimal_quantization=False))
    if kind == "date":
        return str(format_skeleton("yMMMEd", value, locale=lang))
    return str(value)


def _tenth(share: float) -> Decimal:
    """A share to a tenth of a percent, halves rounded up (3.75% is 3.8%)."""
    return Decimal(repr(share)).quantize(Decimal("0.001"), ROUND_HALF_UP)


def table_rows(report: Report, words: Words) -> list[Markup]:
    """Each row of the report's table as HTML (values escaped by ``Markup.format``): built
    here, not cell by cell in the template, where a hundred rows took a tenth of a second."""
    heat = report.chart.get("type") == "heatmap"
    kinds = [c.kind for c in report.columns]
    rows = []
    for row in report.rows:
        cells = [Markup('<th scope="row">{}</th>').format(cell_text(row[0], kinds[0], words))]
        for value, kind in zip(row[1:], kinds[1:], strict=True):
            if heat:
                text = cell_text(value, kind, words) if value else ""
                level = heat_level(value, report)
                cells.append(Markup('<td class="number heat-{}">{}</td>').format(level, text))
            else:
                cells.append(
                    Markup('<td class="number">{}</td>').format(cell_text(value, kind, words))
                )
        rows.append(Markup("<tr>{}</tr>").format(Markup("").join(cells)))
    return rows


def heat_level(value: Any, report: Report) -> int:
    """0 (nothing) to 5 (the most): the shade of a weekday × hour cell."""
    if not value or not report.heat_max:
        return 0
    return max(1, min(5, round(5 * float(value) / report.heat_max)))


_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_value(value: Any, kind: Kind) -> Any:
    """A value for a spreadsheet: numbers as numbers (a share in percent), dates in ISO,
    and text that a spreadsheet would run as a formula made inert with a leading quote."""
    if value is None:
        return ""
    if kind == "percent":
        return float(_tenth(value) * 100)
    if kind == "date":
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        csv_value(c.label + (" (%)" if c.kind == "percent" else ""), "text") for c in report.columns
    )
    for row in report.rows:
        writer.writerow(csv_value(v, c.kind) for v, c in zip(row, report.columns, strict=True))
    return out.getvalue()


def report_json(report: Report, period: r.Period, words: Words) -> dict[str, Any]:
    return {
        "report": report.name,
        "title": report.title,
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "locale": words.lang,
        "columns": [{"label": c.label, "kind": c.kind} for c in report.columns],
        "rows": [[v.isoformat() if isinstance(v, date) else v for v in row] for row in report.rows],
        "chart": report.chart,
    }


# --------------------------------------------------------------------------- routes


async def _setup() -> tuple[Words, r.Period | None, str]:
    words = await words_for(current_user())
    try:
        return words, await _period(words), ""
    except PeriodError as error:
        return words, None, str(error)


@admin.get("/reports")
@page(*ADMINS)
async def reports() -> Response:
    words, period, problem = await _setup()
    try:
        await business_info()
    except NoBusiness:
        return await render("no_business.html")
    args = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    if period is None:
        return await render(
            "reports.html", status=400, problem=problem, reports=[], args=args, period=None
        )
    facts = facts_for(period)
    # The reports read at once: on PostgreSQL their queries run side by side.
    built = await asyncio.gather(*(build_report(name, facts, words) for name in REPORTS))
    query: dict[str, Any] = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    return await render(
        "reports.html",
        problem="",
        reports=built,
        args=query,
        period=period,
        period_text=words._("{first} to {last}").format(
            first=_date_label(period.first, words), last=_date_label(period.last, words)
        ),
        rows_of=lambda report: table_rows(report, words),
        data_url=lambda name: url_for(f"admin.report_data_{_endpoint(name)}", **query),
        csv_url=lambda name: url_for(f"admin.report_csv_{_endpoint(name)}", **query),
        chart_js=asset("vendor/chart.umd.min.js") if vendored("chart.umd.min.js") else None,
        reports_js=asset("reports.js"),
    )


def _endpoint(name: str) -> str:
    return name.replace("-", "_")


def _data_view(name: str) -> Callable[[], Awaitable[ResponseReturnValue]]:
    async def report_data() -> Response:
        words, period, problem = await _setup()
        if period is None:
            abort(400, problem)
        report = await build_report(name, facts_for(period), words)
        return jsonify(report_json(report, period, words))

    report_data.__name__ = f"report_data_{_endpoint(name)}"
    return data(*ADMINS)(report_data)


def _csv_view(name: str) -> Callable[[], Awaitable[ResponseReturnValue]]:
    async def report_csv_download() -> Response:
        words, period, problem = await _setup()
        if period is None:
            abort(400, problem)
        report = await build_report(name, facts_for(period), words)
        filename = f"slotwise-{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
        return Response(
            report_csv(report),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    report_csv_download.__name__ = f"report_csv_{_endpoint(name)}"
    return page(*ADMINS)(report_csv_download)


for _name in REPORTS:
    admin.add_url_rule(
        f"/api/reports/{_name}", f"report_data_{_endpoint(_name)}", _data_view(_name)
    )
    admin.add_url_rule(f"/reports/{_name}.csv", f"report_csv_{_endpoint(_name)}", _csv_view(_name))
