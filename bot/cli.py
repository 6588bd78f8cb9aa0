"""The ``safety-bot`` command line."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.core.settings import ConfigError, Secrets, Settings, load_settings

app = typer.Typer(
    help="School safety-routine bot (1530 education, duty, zero reports, notices).",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Path to config.toml.")]
DEFAULT_CONFIG = Path("config.toml")


def settings_or_exit(path: Path) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        typer.echo(f"Configuration error; the bot does not start.\n{exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def run(
    config: ConfigOption = DEFAULT_CONFIG,
    api_base: Annotated[str, typer.Option(help="Another Bot API server, e.g. the emulator.")] = "",
    webhook: Annotated[bool, typer.Option(help="Serve a webhook instead of polling.")] = False,
    tick_seconds: Annotated[float, typer.Option(help="How often routines are checked.")] = 30.0,
    log_level: Annotated[
        str,
        typer.Option(help="DEBUG shows every tick; INFO each prompt queued.", envvar="LOG_LEVEL"),
    ] = "INFO",
    role: Annotated[
        str,
        typer.Option(
            help="all: one process does everything (the default). On PostgreSQL a deployment "
            "may split it: web takes updates (webhook or polling) only; worker ticks the "
            "routines and sends the outbox (several may run: one ticks, the others stand by).",
            envvar="SAFETY_BOT_ROLE",
        ),
    ] = "all",
    district: Annotated[
        Path | None,
        typer.Option(
            help="A district.toml: every school it lists in this one process (each its own "
            "config.toml and token from the environment variable it names)."
        ),
    ] = None,
    webhook_port: Annotated[
        int,
        typer.Option(
            help="With --district --webhook: listen on this port instead of district.toml's "
            "(several web workers on one machine)."
        ),
    ] = 0,
) -> None:
    """Run the bot against Telegram (BOT_TOKEN) or another Bot API server."""
    from bot.logs import setup_logging
    from bot.roles import Role
    from bot.serve import run_bot

    secrets = Secrets()
    level = log_level.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        typer.echo("--log-level takes DEBUG, INFO, WARNING or ERROR", err=True)
        raise typer.Exit(2)
    try:
        chosen = Role(role.strip().lower())
    except ValueError:
        typer.echo("--role takes all, web or worker", err=True)
        raise typer.Exit(2) from None
    if district is not None:
        raise typer.Exit(
            _run_district(
                district, secrets, level, api_base, webhook, tick_seconds, chosen, webhook_port
            )
        )
    setup_logging(level, secrets=[_secret(secrets.bot_token), _secret(secrets.webhook_secret)])
    settings = settings_or_exit(config)
    token = _secret(secrets.bot_token)
    if not token:
        typer.echo(
            "BOT_TOKEN is not set. Create a bot with @BotFather and put its token in the "
            "environment (export BOT_TOKEN=...) or in a .env file.",
            err=True,
        )
        raise typer.Exit(2)
    if webhook and not _secret(secrets.webhook_secret):
        typer.echo(
            "--webhook needs WEBHOOK_SECRET in the environment (1-256 characters "
            "A-Z a-z 0-9 _ -); Telegram sends it with every update.",
            err=True,
        )
        raise typer.Exit(2)
    code = asyncio.run(
        run_bot(
            settings,
            secrets,
            token,
            api_base or settings.telegram.api_base,
            webhook,
            tick_seconds,
            role=chosen,
        )
    )
    raise typer.Exit(code)


def _run_district(
    path: Path,
    secrets: Secrets,
    level: str,
    api_base: str,
    webhook: bool,
    tick_seconds: float,
    role: object,
    webhook_port: int,
) -> int:
    """``run --district district.toml``: every school it lists in this process."""
    from bot.district import load_district, run_district
    from bot.logs import setup_logging

    try:
        loaded = load_district(path)
        tokens = loaded.tokens()
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        return 2
    if webhook and not _secret(secrets.webhook_secret):
        typer.echo(
            "--webhook needs WEBHOOK_SECRET in the environment (1-256 characters "
            "A-Z a-z 0-9 _ -); Telegram sends it with every update.",
            err=True,
        )
        return 2
    if webhook_port:
        loaded.config = loaded.config.model_copy(update={"webhook_port": webhook_port})
    setup_logging(level, secrets=[*tokens.values(), _secret(secrets.webhook_secret)])
    return asyncio.run(
        run_district(loaded, secrets, tokens, api_base, webhook, tick_seconds, str(role))
    )


@app.command()
def demo(
    config: ConfigOption = DEFAULT_CONFIG,
    out: Annotated[Path, typer.Option(help="Where the demo writes its database and files.")] = Path(
        "demo-out"
    ),
    speed: Annotated[float, typer.Option(help="School seconds per real second.")] = 0.0,
) -> None:
    """Simulate a school day against the local Bot API emulator: no token, no network."""
    from bot.demo import run_demo

    settings = settings_or_exit(config)
    raise typer.Exit(asyncio.run(run_demo(settings, out, speed or None)))


@app.command()
def emulator(
    host: str = "127.0.0.1",
    port: int = 8081,
    spec: Annotated[
        Path | None,
        typer.Option(
            help="api.json of the Bot API to validate against (default: the bundled one)."
        ),
    ] = None,
    token: Annotated[
        str,
        typer.Option(
            help="Token of the bot the emulator knows (default: the emulator's own).",
            envvar="SAFETY_BOT_EMULATOR_TOKEN",
        ),
    ] = "",
    flood: Annotated[bool, typer.Option(help="Answer Telegram's flood limits with 429.")] = True,
) -> None:
    """Run the local Bot API emulator; it prints the `safety-bot run` line that uses it."""
    from emulator.server import DEFAULT_TOKEN
    from emulator.spec import BUNDLED_SPEC
    from emulator.standalone import main as emulator_main

    emulator_main(host, port, spec or BUNDLED_SPEC, token or DEFAULT_TOKEN, flood)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Apply the database migrations."""
    from bot.app import database_url
    from storage import db

    settings = settings_or_exit(config)

    async def go() -> None:
        engine = db.make_engine(database_url(settings, Secrets()))
        await db.upgrade(engine)
        await engine.dispose()

    asyncio.run(go())
    typer.echo("database is up to date")


@app.command("admin-code")
def admin_code(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Print a one-time code that makes its user the school's first admin (/start CODE)."""
    from bot.app import close_app, open_app
    from bot.runner import setup_code_if_needed

    settings = settings_or_exit(config)

    async def go() -> str | None:
        app_ = await open_app(settings, Secrets())
        try:
            return await setup_code_if_needed(app_)
        finally:
            await close_app(app_)

    code = asyncio.run(go())
    if code is None:
        typer.echo("The school already has an admin; admins invite others with /invite admin.")
        raise typer.Exit(1)
    typer.echo(f"One-time admin setup code (valid 24 h): send the bot  /start {code}")


@app.command()
def plan(
    config: ConfigOption = DEFAULT_CONFIG,
    from_: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")] = "",
    to: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    lang: str = "zh",
) -> None:
    """The routine events planned per day, without sending anything."""
    from scheduler.calendar import SchoolCalendar
    from scheduler.planning import events_as_json, format_plan_text, plan_range

    settings = settings_or_exit(config)
    try:
        start = dt.date.fromisoformat(from_) if from_ else dt.date.today()
        end = dt.date.fromisoformat(to) if to else start + dt.timedelta(days=6)
    except ValueError:
        typer.echo("--from and --to take dates like 2026-03-01", err=True)
        raise typer.Exit(2) from None
    if end < start or (end - start).days > 366:
        typer.echo("--to must be on or after --from, and at most a year later", err=True)
        raise typer.Exit(2)
    calendar = SchoolCalendar(settings)
    events = plan_range(settings, calendar, start, end)
    if as_json:
        json.dump(events_as_json(events), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        typer.echo(format_plan_text(events, calendar, start, end, "en" if lang == "en" else "zh"))


@app.command()
def export(
    config: ConfigOption = DEFAULT_CONFIG,
    from_: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")] = "",
    to: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD (inclusive).")] = "",
    out: Annotated[Path, typer.Option(help="Folder for the .xlsx and .docx.")] = Path("exports"),
    lang: str = "zh",
) -> None:
    """The record book (台账) of a period: an Excel workbook and a Word document."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.app import close_app, open_app
    from scheduler.exports import MAX_DAYS, kind_namer
    from storage import audit
    from storage.exports import export_records

    settings = settings_or_exit(config)
    try:
        start, end = dt.date.fromisoformat(from_), dt.date.fromisoformat(to)
    except ValueError:
        typer.echo("--from and --to take dates like 2026-03-01", err=True)
        raise typer.Exit(2) from None
    if end < start or (end - start).days >= MAX_DAYS:
        typer.echo(f"--to must be on or after --from, and at most {MAX_DAYS} days later", err=True)
        raise typer.Exit(2)
    language = "en" if lang == "en" else "zh"
    secrets = Secrets()
    url = _database_to_read(settings, secrets, config)

    async def go() -> list[Path] | str:
        try:
            app_ = await open_app(settings, secrets)
        except (OSError, SQLAlchemyError) as exc:
            return str(exc)
        try:
            paths = await export_records(
                app_.sessions,
                app_.school_id,
                start,
                end,
                out,
                lang=language,
                kind_name=kind_namer(language, settings.duty),
            )
            try:  # every export is in the audit log, as /export's (PIPL)
                async with app_.sessions.begin() as session:
                    audit.record(
                        session,
                        app_.school_id,
                        None,
                        "export",
                        app_.now(),
                        start=start.isoformat(),
                        end=end.isoformat(),
                        files=[p.name for p in paths],
                        via="safety-bot export",
                    )
            except SQLAlchemyError as exc:  # the bot holding SQLite's write lock
                typer.echo(f"The export is not in the audit log: {exc}", err=True)
            return paths
        finally:
            await close_app(app_)

    written = asyncio.run(go())
    if isinstance(written, str):
        typer.echo(f"Cannot open the database {url}: {written}", err=True)
        raise typer.Exit(2)
    for path in written:
        typer.echo(path)


def _database_to_read(settings: Settings, secrets: Secrets, config: Path) -> str:
    """Says which database the export reads (without its password), and stops at an SQLite
    file that is not there: opening it would create an empty one and export nothing."""
    from sqlalchemy.engine import make_url

    from bot.app import database_url

    url = make_url(database_url(settings, secrets))
    shown = url._replace(password=None).render_as_string(hide_password=False)
    typer.echo(f"database: {shown}", err=True)
    path = Path(url.database or "")
    in_a_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if in_a_file and not path.is_file():
        origin = "DATABASE_URL" if secrets.database_url else f"{config}'s [storage].database_url"
        typer.echo(
            f"No database at {path.resolve()} (from {origin}); nothing exported, none created.\n"
            "Point at the bot's database with --config path/to/config.toml (its "
            "[storage].database_url) or DATABASE_URL=sqlite+aiosqlite:///path/to/safety-bot.db "
            "(the demo's: DATABASE_URL=sqlite+aiosqlite:///demo-out/demo.db).",
            err=True,
        )
        raise typer.Exit(2)
    return shown


def _secret(value: object) -> str:
    return value.get_secret_value() if value is not None else ""  # type: ignore[attr-defined]


if __name__ == "__main__":
    app()
