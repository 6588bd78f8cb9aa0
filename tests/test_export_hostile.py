"""Hostile names and texts in the record book and the roster template: a name that looks
like a formula stays text, a control character no longer breaks the export."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import App
from scheduler.duty import roster as duty_roster
from storage import audit
from storage import notices as notice_store
from storage import zero_report as incidents
from storage.exports import export_records
from storage.models import Person
from tests import conftest
from tests.test_exports import DAY2, add_person, report_incident, workbook_strings

LINK = '=HYPERLINK("http://evil.example/steal","点我")'


async def a_day_written_by_mischief(app: App, teacher_name: str, text: str) -> None:
    """A head teacher, an incident, a notice, a roster entry and an audit line, each
    carrying ``teacher_name`` or ``text`` as people sent them (straight into the database,
    as data kept before the bot cleaned its input)."""
    teacher = await add_person(app, teacher_name, "head_teacher", "3-2", 1001)
    admin = await conftest.add_person(app, "校长", "admin", None, 1002, chat=False)
    number = await report_incident(app, teacher, b"")
    async with app.sessions.begin() as session:
        incident = await session.get(incidents.Incident, number)
        assert incident is not None
        incident.text, incident.place = text, "@" + text
        notice = await notice_store.create_draft(session, app.school_id, admin.id, text, app.now())
        notice.status, notice.confirmed_at = notice_store.SENT, app.now()
        admin_row = await session.get(Person, admin.id)
        assert admin_row is not None
        await duty_roster.set_post(
            session,
            app.school_id,
            app.settings,
            app.now(),
            admin_row,
            "今天",
            "leader",
            [teacher_name],
        )
        audit.record(session, app.school_id, admin.id, "notice.send", app.now(), reason=text)


def every_cell(data: bytes) -> list[tuple[str, object, str]]:
    book = load_workbook(io.BytesIO(data))
    return [
        (sheet.title, cell.value, cell.data_type)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


async def test_a_name_or_text_that_looks_like_a_formula_is_exported_as_text(
    app: App, tmp_path: Path
) -> None:
    await a_day_written_by_mischief(app, LINK, "+1 门口积水 -")
    paths = await export_records(app.sessions, app.school_id, DAY2, DAY2, tmp_path / "out")
    cells = every_cell(next(p for p in paths if p.suffix == ".xlsx").read_bytes())
    async with app.sessions() as session:
        staff = (await session.scalars(select(Person).order_by(Person.id))).all()
    template = every_cell(duty_roster.template_xlsx(app.settings, staff, DAY2))

    for title, value, kind in cells + template:
        assert kind != "f", (title, value)  # no formula anywhere
        assert not str(value).startswith(("=", "+", "-", "@")), (title, value)
    shown = {str(value) for _, value, _ in cells}
    # Still there for the reader, as text: in the incidents, the roster, the notices, the log.
    assert "'" + LINK in shown and "'+1 门口积水 -" in shown and "'@+1 门口积水 -" in shown
    assert "'" + LINK in {str(value) for _, value, _ in template}


async def test_a_control_character_in_a_name_or_text_no_longer_breaks_the_export(
    app: App, tmp_path: Path
) -> None:
    await a_day_written_by_mischief(app, "王\x07老师\x1b", "门口\x01积水\x7f\r\n已围挡")
    paths = await export_records(app.sessions, app.school_id, DAY2, DAY2, tmp_path / "out")

    strings = workbook_strings(next(p for p in paths if p.suffix == ".xlsx"))
    assert "王老师" in strings and "门口积水\n已围挡" in strings
    document = Document(str(next(p for p in paths if p.suffix == ".docx")))
    book_text = "\n".join(
        [p.text for p in document.paragraphs]
        + [c.text for t in document.tables for r in t.rows for c in r.cells]
    )
    assert "王老师" in book_text and "门口积水" in book_text
    assert not any(ch in book_text for ch in "\x07\x1b\x01\x7f")


async def test_a_name_copied_from_the_roster_template_is_found_with_its_guard_quote(
    app: App,
) -> None:
    await add_person(app, "-李老师", "head_teacher", "3-2", 1001)
    async with app.sessions() as session:
        staff = (await session.scalars(select(Person))).all()
    template = duty_roster.template_xlsx(app.settings, staff, DAY2)
    names = [value for _, value, _ in every_cell(template) if "李老师" in str(value)]
    table = [(1, ["日期", "岗位", "姓名"]), (2, ["2026-11-26", "带班领导", names[-1]])]
    async with app.sessions() as session:
        checked = await duty_roster.check_roster(
            session, app.school_id, app.settings, app.now(), table
        )
    assert names[-1] == "'-李老师" and checked.ok
    assert [a.person.display_name for a in checked.assignments] == ["-李老师"]
