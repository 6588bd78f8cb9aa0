"""The duty roster: importing a file, setting one day's post, showing the roster.

A roster file (.xlsx or .csv) has a header row naming the columns 日期 / 岗位 / 姓名 (or
date / post / name) and one row per post and day; a multi-person post (护学岗) may list
several names in one cell ("张三、李四"). The whole file is checked first: one problem
anywhere rejects it, with every problem's row number, and nothing changes. A valid file
replaces the roster of the dates it covers and no others.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import datetime as dt
import io
import re
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import ParseFailure, SchoolDays, describe, parse_day
from bot.core.i18n import t
from bot.core.settings import DutyPostSettings, Settings
from bot.core.text import clean_text
from scheduler.calendar import load_calendar
from scheduler.rules import duty as rules
from storage import audit
from storage import duty as store
from storage.exports.cells import FORMULA_START, cell_value
from storage.models import Person, Role

# A gate volunteer named on the roster who is not in the bot (storage role "volunteer").
VOLUNTEER = "volunteer"

MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 2000
# A hostile .xlsx is small and unpacks huge (a deflate bomb) or declares a huge sheet
# (A1:XFD12000): the parts' unpacked sizes are checked before opening it, the sheet is read
# as far as these bounds only, and in a worker thread, so other chats go on meanwhile.
MAX_UNPACKED_BYTES = 10 * 1024 * 1024
MAX_COLUMNS = 20  # the three columns, wherever they are among the first 20
MAX_SHEET_ROWS = MAX_ROWS + 500  # blank lines included
MAX_READ_SECONDS = 10.0
MAX_DAYS_AHEAD = 366
COLUMNS = {
    "day": ("日期", "date", "day"),
    "post": ("岗位", "post", "值班岗位"),
    "name": ("姓名", "name", "值班人员", "人员"),
}
NAME_SEPARATORS = re.compile(r"[、,，;；/]+")
CLEAR_WORDS = {"-", "—", "无", "清空", "clear", "none"}
TEMPLATE_FILENAME = "duty-roster-template.xlsx"


@dataclass(frozen=True)
class Localized:
    """A parameter of a problem that reads differently in each language (names of posts, an
    example to type): a problem is found before anyone knows who will read it."""

    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row of a roster file (row 0: the file itself), or a command."""

    row: int
    key: str  # a text key of bot/locales/duty.toml
    params: dict[str, Any] = field(default_factory=dict)
    failure: ParseFailure | None = None  # a date the parser could not read


class RosterFileError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.key)
        self.problem = problem


@dataclass(frozen=True)
class Assignment:
    row: int
    day: dt.date
    post: str
    person: Person


@dataclass
class RosterImport:
    assignments: list[Assignment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def days(self) -> list[dt.date]:
        return sorted({a.day for a in self.assignments})


# --- reading a file ----------------------------------------------------------------------


Table = list[tuple[int, list[Any]]]


async def read_file(data: bytes, filename: str) -> Table | RosterImport:
    """The file's rows, read in a worker thread; or the import refused with the reason."""
    try:
        return await asyncio.to_thread(read_table, data, filename)
    except RosterFileError as exc:
        return RosterImport(problems=[exc.problem])


def read_table(data: bytes, filename: str) -> Table:
    """The file's rows as (row number, cells); raises RosterFileError if it cannot be read."""
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError(Problem(0, "duty.roster.too_big", {"kb": MAX_FILE_BYTES // 1024}))
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith(".csv"):
        return _read_csv(data)
    raise RosterFileError(Problem(0, "duty.roster.bad_type"))


def _read_xlsx(data: bytes) -> Table:
    _check_unpacked_size(data)
    deadline = time.monotonic() + MAX_READ_SECONDS
    rows: Table = []
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # type: ignore[union-attr]  # never pad rows to a declared size
            for n, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1):
                if n > MAX_SHEET_ROWS:
                    raise RosterFileError(Problem(0, "duty.roster.too_many", {"limit": MAX_ROWS}))
                if time.monotonic() > deadline:
                    limit = int(MAX_READ_SECONDS)
                    raise RosterFileError(Problem(0, "duty.roster.too_slow", {"seconds": limit}))
                rows.append((n, list(cells)))
        finally:
            book.close()
    except RosterFileError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file
        raise RosterFileError(Problem(0, "duty.roster.unreadable")) from exc
    return rows


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a zip whose parts would unpack past the limit, before anything is unpacked
    (zipfile stops at a part's declared size, so a part cannot lie its way past it)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise RosterFileError(Problem(0, "duty.roster.unreadable")) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        mb = MAX_UNPACKED_BYTES // (1024 * 1024)
        raise RosterFileError(Problem(0, "duty.roster.too_big_unpacked", {"mb": mb}))


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    # newline="": a \r inside a field is the csv module's to read, not an error.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [(n, list(cells)) for n, cells in enumerate(reader, 1)]
    except csv.Error as exc:  # a field over csv's limit (128 K characters), a stray quote …
        raise RosterFileError(Problem(reader.line_num, "duty.roster.bad_csv")) from exc


def _decode(data: bytes) -> str:
    # Excel in China saves CSV as GB18030 (GBK); everything else as UTF-8, often with a BOM;
    # "Unicode text" is UTF-16, with or without its BOM (then its zero bytes tell the order).
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        little = data[1::2].count(0) >= data[0::2].count(0)
        encodings = ("utf-16-le",) if little else ("utf-16-be",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise RosterFileError(Problem(0, "duty.roster.unreadable"))


# --- checking ----------------------------------------------------------------------------


async def check_roster(
    session: AsyncSession,
    school_id: int,
    settings: Settings,
    now: dt.datetime,
    table: Sequence[tuple[int, list[Any]]],
) -> RosterImport:
    """Every row checked; the problems of all rows, or the assignments when there are none."""
    result = RosterImport()
    head = table_head(table, COLUMNS, COLUMNS, _text, "duty.roster")
    if isinstance(head, Problem):
        result.problems.append(head)
        return result
    rows, columns = head
    people = _PeopleIndex(session, school_id, settings, now)
    calendar = await load_calendar(session, school_id, settings)
    for number, cells in rows:
        cell = {key: cells[index] if index < len(cells) else None for key, index in columns.items()}
        await _check_row(result, number, cell, settings, now, people, calendar)
    # Rows with their own problems are not among the assignments, so a duplicate is only
    # ever reported against a row that is otherwise fine.
    result.problems.extend(_duplicates(result.assignments, settings))
    result.problems.sort(key=lambda p: p.row)
    if result.problems:
        result.assignments.clear()
    return result


def table_head(
    table: Sequence[tuple[int, list[Any]]],
    names_of: Mapping[str, Sequence[str]],
    required: Iterable[str],
    text: Callable[[Any], str],
    keys: str,
) -> tuple[list[tuple[int, list[Any]]], dict[str, int]] | Problem:
    """The rows below the header (blank ones left out) and each column's index (the
    roster's and the bus riders' files alike); or what is wrong with the file as a whole: no
    rows (``{keys}.empty``), a required column missing (``{keys}.no_columns``), too many
    rows."""
    rows = [(n, cells) for n, cells in table if any(text(c) for c in cells)]
    if not rows:
        return Problem(0, f"{keys}.empty")
    header_row, header = rows[0]
    columns = header_columns(header, names_of, text)
    missing = [names_of[c][0] for c in required if c not in columns]
    if missing:
        return Problem(header_row, f"{keys}.no_columns", {"columns": "、".join(missing)})
    if len(rows) - 1 > MAX_ROWS:
        return Problem(0, "duty.roster.too_many", {"limit": MAX_ROWS})
    return rows[1:], columns


def header_columns(
    header: list[Any],
    names_of: Mapping[str, Sequence[str]],
    text: Callable[[Any], str],
) -> dict[str, int]:
    """Each column's index, found by any of its names in the header row (the roster's and
    the bus riders' files alike); the first column of a name wins."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        label = text(cell).lower()
        for key, names in names_of.items():
            if label in names and key not in found:
                found[key] = index
    return found


async def _check_row(
    result: RosterImport,
    number: int,
    cell: dict[str, Any],
    settings: Settings,
    now: dt.datetime,
    people: _PeopleIndex,
    calendar: SchoolDays,
) -> None:
    problems: list[Problem] = []
    read = read_day(cell["day"], now, settings, calendar)
    day = read if isinstance(read, dt.date) else None
    if isinstance(read, Problem):
        problems.append(_at_row(read, number))
    post = find_post(settings, _text(cell["post"]))
    if post is None:
        problem = unknown_post(settings, _text(cell["post"]))
        problems.append(_at_row(problem, number))
    names = split_names(_text(cell["name"]))
    if not names:
        problems.append(Problem(number, "duty.roster.no_name"))
    persons: list[Person] = []
    for name in names:
        found = await people.find(name, post)
        if isinstance(found, Problem):
            problems.append(_at_row(found, number))
        else:
            persons.append(found)
    result.problems.extend(problems)
    if not problems and day is not None and post is not None:
        result.assignments.extend(Assignment(number, day, post.slug, p) for p in persons)


def _same(one: Person, other: Person) -> bool:
    """Named volunteers have no id until the roster is applied: one name, one object."""
    return one is other or (one.id is not None and one.id == other.id)


def _duplicates(assignments: list[Assignment], settings: Settings) -> list[Problem]:
    """A person twice on one post and day, or more people than the post holds."""
    problems: list[Problem] = []
    seen: dict[tuple[dt.date, str], list[Assignment]] = defaultdict(list)
    for item in assignments:
        earlier = seen[(item.day, item.post)]
        post = rules.post_settings(settings.duty, item.post)
        assert post is not None
        params: dict[str, Any] = {"day": item.day.isoformat(), "post": post.name}
        twin = next((a for a in earlier if _same(a.person, item.person)), None)
        if twin is not None:
            params |= {"name": item.person.display_name, "first": twin.row}
            problems.append(Problem(item.row, "duty.roster.duplicate_person", params))
            continue
        if len(earlier) >= post.max_people:
            params |= {"first": earlier[0].row, "max": post.max_people}
            problems.append(Problem(item.row, "duty.roster.duplicate_post", params))
            continue
        earlier.append(item)
    return problems


def read_day(
    value: Any, now: dt.datetime, settings: Settings, calendar: SchoolDays | None = None
) -> dt.date | Problem:
    """A roster date: a date cell, or a date people typed (2026-03-05, 3月5日, 下周一,
    下个上学日); not before today and at most a year ahead."""
    tz = settings.school.tz
    today = now.astimezone(tz).date()
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = _text(value)
        if not text:
            return Problem(0, "duty.roster.no_date")
        parsed = parse_day(text, now, tz=tz, calendar=calendar)
        if isinstance(parsed, ParseFailure):
            return Problem(0, "duty.roster.bad_date", {"text": text[:30]}, parsed)
        day = parsed
    if day < today:
        return Problem(0, "duty.roster.past_date", {"day": day.isoformat()})
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        return Problem(0, "duty.roster.far_date", {"day": day.isoformat()})
    return day


def find_post(settings: Settings, text: str) -> DutyPostSettings | None:
    """A post by its id (leader), its name (带班领导) or its English name, any case."""
    wanted = text.strip().lower()
    if not wanted:
        return None
    for post in settings.duty.posts:
        if wanted in (post.slug, post.name.lower(), post.name_en.lower()):
            return post
    return None


def unknown_post(settings: Settings, text: str) -> Problem:
    if not text:
        return Problem(0, "duty.roster.no_post")
    known = Localized(
        "、".join(p.name for p in settings.duty.posts),
        ", ".join(f"{post_label(p, 'en')} ({p.slug})" for p in settings.duty.posts),
    )
    return Problem(0, "duty.roster.unknown_post", {"post": text[:20], "posts": known})


def typed_post(post: DutyPostSettings, lang: str) -> str:
    """What one types to name a post in a command (one word): its Chinese name, or its id."""
    return post.name if lang == "zh" and not post.name.split()[1:] else post.slug


def split_names(text: str) -> list[str]:
    return [name.strip() for name in NAME_SEPARATORS.split(text) if name.strip()]


class _PeopleIndex:
    """Names looked up once per file (and kind of post), however many rows repeat them."""

    def __init__(
        self, session: AsyncSession, school_id: int, settings: Settings, now: dt.datetime
    ) -> None:
        self.session, self.school_id, self.settings = session, school_id, settings
        self.now = now
        self.cache: dict[tuple[str, bool], Person | Problem] = {}

    async def find(self, name: str, post: DutyPostSettings | None) -> Person | Problem:
        key = (name.lower(), post is not None and post.volunteers)
        if key not in self.cache:
            self.cache[key] = await find_person(
                self.session, self.school_id, name, post, self.settings, self.now
            )
        return self.cache[key]


async def find_person(
    session: AsyncSession,
    school_id: int,
    name: str,
    post: DutyPostSettings | None = None,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> Person | Problem:
    """A person on duty by their name in the bot: staff, or parents too on a post open to
    volunteers (``post.volunteers``); a parent named for another post is told where parents
    may stand (``settings`` gives those posts). On a volunteers' post, a name nobody has in
    the bot is a named volunteer (a grandparent at the gate without Telegram): a new person,
    kept only when the roster is applied (``keep_new_volunteers``), never reminded."""
    volunteers = post is not None and post.volunteers
    found = await store.staff_named(session, school_id, name, parents=volunteers)
    parent = not found and not volunteers and settings is not None
    if parent and await store.staff_named(session, school_id, name, parents=True):
        assert settings is not None
        return parent_not_allowed(settings, name)
    if not found and volunteers and now is not None and clean_text(name).strip()[:100]:
        return named_volunteer(school_id, clean_text(name).strip()[:100], now)
    if not found:
        return Problem(0, "duty.unknown_person", {"name": name[:30]})
    if len(found) > 1:
        return Problem(0, "duty.ambiguous_person", {"name": name[:30], "count": len(found)})
    return found[0]


def named_volunteer(school_id: int, name: str, now: dt.datetime) -> Person:
    person = Person(school_id=school_id, display_name=name, created_at=now)
    person.roles = [Role(role=VOLUNTEER, created_at=now)]
    return person


async def keep_new_volunteers(session: AsyncSession, persons: Iterable[Person]) -> None:
    """The named volunteers of a roster being applied become people of the school."""
    new = {id(p): p for p in persons if p.id is None}
    session.add_all(new.values())
    if new:
        await session.flush()


def parent_not_allowed(settings: Settings, name: str) -> Problem:
    open_posts = [p.name for p in settings.duty.posts if p.volunteers]
    return Problem(
        0,
        "duty.parent_not_allowed" if open_posts else "duty.parent_not_allowed_anywhere",
        {"name": name[:30], "posts": "、".join(open_posts)},
    )


def _at_row(problem: Problem, row: int) -> Problem:
    return Problem(row, problem.key, problem.params, problem.failure)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    # A name copied from the template keeps the ' that kept it from reading as a formula.
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


# --- applying ----------------------------------------------------------------------------


async def import_roster(
    session: AsyncSession,
    school_id: int,
    settings: Settings,
    now: dt.datetime,
    by: Person,
    table: Table | RosterImport,
    filename: str,
) -> RosterImport:
    """Check a file's rows (``read_file``'s, read before the transaction); when they are
    valid, replace the roster of the dates they cover."""
    if isinstance(table, RosterImport):
        return table  # the file itself could not be read
    result = await check_roster(session, school_id, settings, now, table)
    if not result.ok:
        return result
    await store.clear_days(session, school_id, result.days)
    await keep_new_volunteers(session, (a.person for a in result.assignments))
    store.add_entries(
        session,
        school_id,
        [(a.day, a.post, a.person.id) for a in result.assignments],
        "import",
        by.id,
        now,
    )
    audit.record(
        session,
        school_id,
        by.id,
        "duty.roster.import",
        now,
        filename=filename[:100],
        rows=len(result.assignments),
        days=[d.isoformat() for d in result.days],
    )
    await session.flush()
    return result


@dataclass(frozen=True)
class PostChange:
    day: dt.date
    post: DutyPostSettings
    people: list[Person]  # who holds the post now


async def set_post(
    session: AsyncSession,
    school_id: int,
    settings: Settings,
    now: dt.datetime,
    by: Person,
    day_text: str,
    post_text: str,
    names: Sequence[str],
) -> PostChange | Problem:
    """``/duty <date> <post> <name>``: a one-person post gets this person; a multi-person post
    (护学岗) gains them; "-" clears the post."""
    day = read_day(day_text, now, settings, await load_calendar(session, school_id, settings))
    if isinstance(day, Problem):
        return day
    post = find_post(settings, post_text)
    if post is None:
        return unknown_post(settings, post_text)
    clear = len(names) == 1 and names[0].lower() in CLEAR_WORDS
    persons: list[Person] = []
    for name in [] if clear else names:
        found = await find_person(session, school_id, name, post, settings, now)
        if isinstance(found, Problem):
            return found
        persons.append(found)
    if not clear and not persons:
        return Problem(0, "duty.set.usage")
    current = await store.holders(session, school_id, day, post.slug)
    if clear or post.max_people == 1:
        kept: list[Person] = []
    else:
        kept = current
    new = [p for p in persons if p.id not in {k.id for k in kept}]
    if len(kept) + len(new) > post.max_people:
        return Problem(0, "duty.set.full", {"post": post.name, "max": post.max_people})
    if clear or post.max_people == 1:
        await store.clear_post(session, school_id, day, post.slug)
    await keep_new_volunteers(session, new)
    store.add_entries(
        session, school_id, [(day, post.slug, p.id) for p in new], "command", by.id, now
    )
    audit.record(
        session,
        school_id,
        by.id,
        "duty.roster.set",
        now,
        day=day.isoformat(),
        post=post.slug,
        people=[p.id for p in kept + new],
        replaced=[p.id for p in current if p not in kept],
    )
    await session.flush()
    return PostChange(day, post, kept + new)


# --- showing -----------------------------------------------------------------------------

WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


async def roster_text(
    session: AsyncSession,
    school_id: int,
    settings: Settings,
    days: Sequence[dt.date],
    lang: str,
    *,
    compact: bool = False,
) -> str:
    """Each day's posts and who holds them; empty posts show as "—" so gaps stand out."""
    entries = await store.roster(session, school_id, days)
    names: dict[tuple[dt.date, str], list[str]] = defaultdict(list)
    people = {p.id: p for p in await store.duty_staff(session, school_id)}
    for e in entries:
        person = people.get(e.person_id) or await session.get(Person, e.person_id)
        names[(e.day, e.post)].append(person.display_name if person else "?")
    blocks = []
    for day in days:
        head = f"{day.isoformat()} {WEEKDAYS[_lang(lang)][day.weekday()]}"
        parts = []
        for post in settings.duty.posts:
            who = "、".join(names.get((day, post.slug), [])) or "—"
            if compact:
                parts.append(f"{post_label(post, lang)} {who}")
            else:
                hours = post_hours(settings, post, day, lang)
                parts.append(f"  {post_label(post, lang)} {hours}{_colon(lang)}{who}")
        blocks.append(f"{head}  " + " · ".join(parts) if compact else "\n".join([head, *parts]))
    return "\n".join(blocks) if compact else "\n\n".join(blocks)


def post_label(post: DutyPostSettings, lang: str) -> str:
    return post.name_en if lang == "en" and post.name_en else post.name


def post_hours(settings: Settings, post: DutyPostSettings, day: dt.date, lang: str) -> str:
    slot = rules.post_slot(settings, post.slug, day)
    if slot is None:
        return t(lang, "duty.gate_hours")
    return span_text(slot.start, slot.end, day, settings)


def span_text(start: dt.datetime, end: dt.datetime, day: dt.date, settings: Settings) -> str:
    tz = settings.school.tz
    start_local, end_local = start.astimezone(tz), end.astimezone(tz)
    end_text = end_local.strftime("%H:%M")
    if end_local.date() > day:
        end_text = "+1 " + end_text
    return f"{start_local.strftime('%H:%M')}–{end_text}"


def problem_text(problem: Problem, lang: str) -> str:
    """One line for a problem, with its row number when it has one."""
    if problem.failure is not None:
        line = describe(problem.failure, lang)
    else:
        params = {
            name: value.text(lang) if isinstance(value, Localized) else value
            for name, value in problem.params.items()
        }
        line = t(lang, problem.key, **params)
    return t(lang, "duty.roster.row", row=problem.row, problem=line) if problem.row else line


def _colon(lang: str) -> str:
    return ": " if lang == "en" else "："


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


# --- the template ------------------------------------------------------------------------


def template_xlsx(settings: Settings, staff: Sequence[Person], first_day: dt.date) -> bytes:
    """A roster template: the columns, example rows for one day, and a sheet of valid posts
    and names to copy from."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "值班表"
    sheet.append([COLUMNS["day"][0], COLUMNS["post"][0], COLUMNS["name"][0]])
    example = staff[0].display_name if staff else "张三"
    for post in settings.duty.posts:
        sheet.append([cell_value(v) for v in (first_day, post.name, example)])
    for row in sheet.iter_rows(min_row=2, max_col=1):
        row[0].number_format = "yyyy-mm-dd"
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 24
    help_sheet = book.create_sheet("说明")
    help_sheet.append(["岗位 post", "英文 id", "人数上限 max", "时间 hours"])
    for post in settings.duty.posts:
        hours = post_hours(settings, post, first_day, "zh")
        help_sheet.append([cell_value(v) for v in (post.name, post.slug, post.max_people, hours)])
    help_sheet.append([])
    help_sheet.append(["可排班人员 people who can be rostered"])
    for person in staff:
        help_sheet.append([cell_value(person.display_name)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
