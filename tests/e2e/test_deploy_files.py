"""The deploy files run as written: deploy/'s commands as real processes on this machine.

deploy/docker-compose.yml is parsed, not copied: the ``command`` of its ``migrate``, ``web``
and ``worker`` services and the names of the variables they get (``environment`` and the
``env_file``, which a district copies from deploy/district/env.example) are what runs here,
through the same ``safety-bot`` the image's ENTRYPOINT names. The container paths map to
this machine: /etc/safety-bot (compose mounts ./district there) to a copy of deploy/district
with district.example.toml as district.toml and, for each ``[[schools]]`` it names, the shipped
config.toml as that school's (its own slug and name, the emulator as its Bot API server, the
test's Redis prefix, its photos and exports under /var/lib/safety-bot, the one writable
volume); /var/lib/safety-bot to a folder of the test. DATABASE_URL is a fresh PostgreSQL
database, REDIS_URL the test's Redis (keys under the test's prefix), each BOT_TOKEN_* the
emulator's bot of that school.

The migrate command once (exit 0), then as many web processes as compose's ``replicas`` with
the web command, each with ``--webhook-port`` (in compose each replica is its own container
listening on district.toml's webhook_port, 8080, the port nginx's upstream names; on one
machine they need one port each, as the systemd unit gives with %i), and the worker command,
behind the round-robin proxy standing in for nginx (bot/district_demo.py). Then what a
district notices: each school's bot answers the principal's /start through the proxy; the
privacy-mode warning that answer queues is sent by the worker (its process holds the row's
lease); the worker ticks the district, no web process does (each web process handles
webhooks); nothing is written into /etc/safety-bot (mounted read-only).

deploy/systemd/*.service: each ExecStart's ``safety-bot`` arguments are parsed by the CLI
(a cheap check: they load the district and stop at the missing tokens, nothing runs), as
compose's web and worker commands; compose waits for a stop at least as long as the units'
TimeoutStopSec; README's migrate step for systemd is compose's migrate command.

Not covered: the image's build (deploy/Dockerfile: only that it copies every package), nginx itself (its location and upstream
are read, not served), compose's own interpolation and depends_on.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from bot.district_demo import round_robin
from emulator.client import EmulatorClient
from storage.db import make_engine
from storage.models import Outbox
from storage.models import School as SchoolRow
from tests.conftest import PG_URL, ROOT, _drop_pg_database, _pg_database
from tests.e2e.test_district import School, say, texts
from tests.e2e.test_flood_workers import REDIS_URL
from tests.e2e.test_real_clock import Process, _cli, _free_port, emulator
from tests.e2e.test_tenancy_roles import claimer_pid

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEPLOY = ROOT / "deploy"
SECRET = "deploy-files-webhook-secret"
WARNING = "群隐私模式已开启"  # queued by the web process's answer, sent by a worker
# Variables of the deploy files and what stands for them here (tokens: the emulator's bots).
NOT_THE_BOTS = {"POSTGRES_PASSWORD"}  # compose's, for its postgres service
STRIP = ("BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "FSM_REDIS_URL", "WEBHOOK_SECRET")


# --- reading the deploy files ----------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    )
    return loaded


def service(name: str) -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"][name]
    return found


def mounts(svc: dict[str, Any]) -> dict[str, str]:
    """Container path -> the host folder (relative to deploy/) or the named volume."""
    found = {}
    for volume in svc["volumes"]:
        source, target, *_ = volume.split(":")
        found[target] = source
    return found


def names_of(svc: dict[str, Any]) -> list[str]:
    """The variables a bot service gets: ``environment`` and its ``env_file`` (the district's
    .env is deploy/district/env.example, filled in)."""
    names = list(svc.get("environment") or {})
    env_files = svc.get("env_file") or []
    for env_file in [env_files] if isinstance(env_files, str) else env_files:
        path = (DEPLOY / env_file).resolve()
        assert path.name == ".env", f"{env_file}: the README has a district copy env.example"
        template = path.with_name("env.example")
        assert template.exists(), f"compose reads {env_file}, made from {template}"
        for line in template.read_text(encoding="utf-8").splitlines():
            if re.match(r"^[A-Z_][A-Z0-9_]*=", line):
                names.append(line.split("=", 1)[0])
    return names


def nginx() -> tuple[str, int, str]:
    """(the webhook location, the upstream's host, its port) of deploy/nginx/district.conf."""
    text = (DEPLOY / "nginx" / "district.conf").read_text(encoding="utf-8")
    proxied = re.search(r"location\s+(\S+)\s*\{[^}]*?proxy_pass\s+http://(\w+)\s*;", text)
    assert proxied, "district.conf: no location proxied to the web workers"
    location, upstream = proxied.groups()
    block = re.search(rf"upstream\s+{upstream}\s*\{{([^}}]*)\}}", text)
    assert block, f"district.conf: no upstream {upstream}"
    server = re.search(r"^\s*server\s+([\w.-]+):(\d+)", block.group(1), re.MULTILINE)
    assert server, f"district.conf: upstream {upstream} names no server"
    return location, int(server.group(2)), server.group(1)


def entrypoint() -> list[str]:
    found = re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", (DEPLOY / "Dockerfile").read_text(), re.M)
    assert found, "deploy/Dockerfile: no ENTRYPOINT"
    parsed: list[str] = yaml.safe_load(found.group(1))
    return parsed


def exec_starts() -> dict[str, list[str]]:
    """Each unit's ExecStart, the arguments after the ``safety-bot`` binary."""
    found = {}
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        line = next(
            ln
            for ln in unit.read_text(encoding="utf-8").splitlines()
            if ln.startswith("ExecStart=")
        )
        binary, *args = line.removeprefix("ExecStart=").split()
        assert Path(binary).name == "safety-bot", f"{unit.name}: runs {binary}"
        found[unit.name] = args
    return found


# --- the district's folder, as a district fills it in ----------------------------------------


def district_folder(etc: Path, var: Path, api_base: str, webhook_url: str, prefix: str) -> None:
    """deploy/district copied to ``etc`` (what compose mounts at /etc/safety-bot) and filled
    in as README.md tells a district: district.toml from district.example.toml (its public
    URL edited), and each school's config.toml it names: the shipped one, the school's slug
    and name, its photos and exports in /var/lib/safety-bot (``var``): /etc/safety-bot is
    mounted read-only (compose) or read-only under ProtectSystem=strict (systemd)."""
    shutil.copytree(DEPLOY / "district", etc)
    example = (etc / "district.example.toml").read_text(encoding="utf-8")
    url = re.search(r'^webhook_url = "[^"]*"$', example, re.MULTILINE)
    assert url, "district.example.toml: no webhook_url"
    (etc / "district.toml").write_text(
        example.replace(url.group(0), f'webhook_url = "{webhook_url}"'), encoding="utf-8"
    )
    shipped = (ROOT / "config.toml").read_text(encoding="utf-8")
    for entry in tomllib.loads(example)["schools"]:
        config = etc / entry["config"]
        slug = config.parent.name
        text = shipped
        for old, new in {
            'slug = "lvshu"': f'slug = "{slug}"',
            'name = "吕墅小学（演示）"': f'name = "{slug}小学"',
            'media_dir = "var/media"': f'media_dir = "{var / slug / "media"}"',
            'export_dir = "var/exports"': f'export_dir = "{var / slug / "exports"}"',
            'api_base = ""': f'api_base = "{api_base}"',
            'prefix = "safety-bot"': f'prefix = "{prefix}"',
        }.items():
            assert old in text, f"the shipped config.toml no longer has {old!r}"
            text = text.replace(old, new, 1)
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(text, encoding="utf-8")


def on_this_machine(args: list[str], paths: dict[str, Path]) -> list[str]:
    """A command's arguments with the container's paths mapped to this machine's."""
    mapped = []
    for arg in args:
        for inside, here in paths.items():
            if arg == inside or arg.startswith(inside + "/"):
                arg = str(here) + arg[len(inside) :]
        mapped.append(arg)
    return mapped


def tokens_of(etc: Path) -> dict[str, str]:
    """token_env -> a token of the emulator's, one bot per school."""
    district = tomllib.loads((etc / "district.toml").read_text(encoding="utf-8"))
    return {
        entry["token_env"]: f"9100001{n:02d}:AAdeployFiles{entry['token_env']}-0123456789ab"
        for n, entry in enumerate(district["schools"], 1)
    }


# --- 1 and 2: compose's commands, run ----------------------------------------------------------


async def logged(process: Process, pattern: str, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not re.search(pattern, process.logs()):
        if process.popen.poll() is not None:
            raise AssertionError(f"{what}: exited {process.popen.returncode}\n{process.logs()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:.0f} s\n{process.logs()[-3000:]}")
        await asyncio.sleep(0.2)


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="SAFETY_BOT_TEST_PG_URL is not set: PostgreSQL only")
@pytest.mark.skipif(not REDIS_URL, reason="SAFETY_BOT_TEST_REDIS_URL is not set")
async def test_the_compose_files_commands_run_a_district(tmp_path: Path, redis_prefix: str) -> None:
    started = time.monotonic()
    migrate, web, worker = (service(name) for name in ("migrate", "web", "worker"))
    location, upstream_port, upstream_host = nginx()
    example = tomllib.loads((DEPLOY / "district" / "district.example.toml").read_text())
    # Compose: every web replica is a container of the service nginx's upstream names, on
    # district.toml's port, listening beyond its own loopback.
    assert upstream_host == "web" and upstream_port == example["district"]["webhook_port"]
    assert example["district"]["webhook_listen"] == "0.0.0.0"
    # Telegram calls {webhook_path}/{slug}: inside the location nginx proxies.
    assert (example["district"]["webhook_path"].rstrip("/") + "/").startswith(location)
    assert entrypoint() == ["safety-bot"]  # what the commands are arguments of

    paths: dict[str, Path] = {}
    for inside, source in mounts(web).items():
        if source.startswith("."):  # a folder of deploy/, copied: the district's files
            assert (DEPLOY / source).resolve() == DEPLOY / "district", source
        paths[inside] = tmp_path / inside.strip("/").replace("/", "-")
    assert set(paths) == {"/etc/safety-bot", "/var/lib/safety-bot"}, paths
    assert mounts(migrate) == mounts(web) == mounts(worker)
    etc, var = paths["/etc/safety-bot"], paths["/var/lib/safety-bot"]
    workdir = tmp_path / "srv"  # the image's WORKDIR: no .env, no config.toml of the checkout
    workdir.mkdir()

    database_url, database = await _pg_database()
    proxy_port = _free_port()
    web_ports = [_free_port() for _ in range(web["deploy"]["replicas"])]
    processes: list[Process] = []
    proxy = None
    try:
        async with emulator(tmp_path) as (_, _token, api_base), EmulatorClient(api_base) as people:
            district_folder(etc, var, api_base, f"http://127.0.0.1:{proxy_port}", redis_prefix)
            tokens = tokens_of(etc)
            values = {
                "DATABASE_URL": database_url,
                "REDIS_URL": REDIS_URL,
                "WEBHOOK_SECRET": SECRET,
                **tokens,
            }
            names = set(names_of(web)) | set(names_of(worker)) | set(names_of(migrate))
            unmapped = names - set(values) - NOT_THE_BOTS
            assert not unmapped, f"the deploy files give {unmapped}: map them here"
            assert set(tokens) <= names, "district.toml's token_env missing from env.example"
            env = {k: v for k, v in os.environ.items() if not k.startswith(STRIP)}
            env |= {name: values[name] for name in names - NOT_THE_BOTS}

            schools = []
            for entry in tomllib.loads((etc / "district.toml").read_text())["schools"]:
                slug = Path(entry["config"]).parent.name
                token = tokens[entry["token_env"]]
                bot = await people.create_bot(token, username=f"{slug}_deploy_bot")
                schools.append(School(slug, f"{slug}小学", token, bot["id"]))

            mounted = tree(etc)  # compose mounts it read-only: nothing may write there
            # The schema, once: exit 0.
            migrating = await asyncio.create_subprocess_exec(
                *_cli(),
                *on_this_machine(migrate["command"], paths),
                cwd=workdir,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            output, _ = await asyncio.wait_for(migrating.communicate(), 60)
            assert migrating.returncode == 0, output.decode()
            assert b"database is up to date" in output

            # nginx: the round-robin proxy; the web replicas (one port each) and the worker.
            proxy = await round_robin(proxy_port, web_ports)
            for n, port in enumerate(web_ports, 1):
                args = [*on_this_machine(web["command"], paths), "--webhook-port", str(port)]
                processes.append(Process(f"web-{n}", [*_cli(), *args], workdir, env))
            for n in range(1, worker["deploy"]["replicas"] + 1):
                args = on_this_machine(worker["command"], paths)
                processes.append(Process(f"worker-{n}", [*_cli(), *args], workdir, env))
            webs, workers = processes[: len(web_ports)], processes[len(web_ports) :]
            for process in processes:
                await logged(process, r"schools in one process", 60, "a process's start")
            await logged(workers[0], r"this process ticks district", 20, "the worker's tick")

            for school in schools:
                code = re.compile(rf"No admin yet at {school.slug}\..*/start ([A-Za-z0-9_-]+)")
                found = await webs[0].wait_for_output(code, 10)
                info = await people.webhook_info(bot_id=school.bot_id)
                assert info["url"] == f"http://127.0.0.1:{proxy_port}{location}{school.slug}"
                school.principal = (await people.create_user(f"{school.slug}校长"))["id"]
                # Through the proxy (the only address the emulator has): a web worker answers.
                await say(people, school, school.principal, f"/start {found.group(1)}", "欢迎")
            for school in schools:
                deadline = time.monotonic() + 30
                while not any(
                    WARNING in t for t in await texts(people, school.principal, school.bot_id)
                ):
                    assert time.monotonic() < deadline, f"{school.slug}: no queued warning sent"
                    await asyncio.sleep(0.2)
            returncodes = []
            for process in processes:
                returncodes.append(await process.stop())
    finally:
        for process in processes:
            if process.popen.poll() is None:
                process.kill()
        if proxy is not None:
            await proxy.cleanup()
        try:
            rows = await sent_rows(database_url)
        finally:
            await _drop_pg_database(database)

    assert tree(etc) == mounted, "a process wrote into /etc/safety-bot (mounted :ro)"
    logs = {p.out.stem: p.logs() for p in processes}
    assert returncodes == [0] * len(processes), logs
    for log in logs.values():
        assert "stopped cleanly" in log, log[-3000:]
        for school in schools:
            assert school.token.split(":")[1] not in log  # no token in a log
    worker_pids = {p.popen.pid for p in workers}
    # What the web processes queued went out from the worker; the worker ticked, no web did.
    assert rows and {slug for slug, _ in rows} == {school.slug for school in schools}
    assert {claimer_pid(claimed_by) for _, claimed_by in rows} <= worker_pids, rows
    tick = re.compile(r"tick \d{4}-\d\d-\d\d: TickReport")  # a school's routines, checked
    for process in webs:
        log = logs[process.out.stem]
        assert "(--role web)" in log and "webhook listening" in log
        assert "ticks" not in log and not tick.search(log), log[-3000:]
        assert "is handled" in log, "the proxy spreads the webhooks over every web worker"
    for process in workers:
        log = logs[process.out.stem]
        assert "(--role worker)" in log
        assert len(tick.findall(log)) >= len(schools), log[-3000:]  # each school's, at start
    print(
        f"\ndeploy files: {len(rows)} outbox rows, all sent by the worker; "
        f"migrate, {len(webs)} web, {len(workers)} worker in {time.monotonic() - started:.0f} s"
    )


def tree(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


async def sent_rows(database_url: str) -> list[tuple[str, str]]:
    """(school slug, claimed_by) of every outbox row sent."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                select(SchoolRow.slug, Outbox.claimed_by)
                .join(SchoolRow, SchoolRow.id == Outbox.school_id)
                .where(Outbox.status == "sent")
            )
            return [(slug, str(claimed_by)) for slug, claimed_by in found.all()]
    finally:
        await engine.dispose()


# --- 3: the systemd units' arguments ---------------------------------------------------------


def test_the_systemd_units_arguments_are_the_clis(tmp_path: Path) -> None:
    """Each ExecStart's arguments parse (an unknown option or a bad value would stop here)
    and reach the district file: the run stops only at the tokens this test does not give."""
    from bot.cli import app

    etc, var = tmp_path / "etc-safety-bot", tmp_path / "var-lib-safety-bot"
    district_folder(etc, var, "http://127.0.0.1:9", "https://bot.example", "test-deploy")
    paths = {"/etc/safety-bot": etc, "/var/lib/safety-bot": var}
    units = exec_starts()
    assert set(units) == {"safety-bot-web@.service", "safety-bot-worker.service"}
    nginx_conf = (DEPLOY / "nginx" / "district.conf").read_text(encoding="utf-8")
    # The instances the unit's comment enables are the ports nginx's systemd lines name.
    web_unit = (DEPLOY / "systemd" / "safety-bot-web@.service").read_text(encoding="utf-8")
    instances = re.findall(r"safety-bot-web@(\d+)", web_unit)
    assert instances and all(f"server 127.0.0.1:{port};" in nginx_conf for port in instances)
    unset: dict[str, str | None] = {name: None for name in tokens_of(etc)}
    for unit, args in units.items():
        args = on_this_machine([a.replace("%i", instances[0]) for a in args], paths)
        result = CliRunner().invoke(app, args, env={**unset, "WEBHOOK_SECRET": SECRET})
        assert result.exit_code == 2, (unit, result.output)
        assert "no bot token in the environment for BOT_TOKEN_" in result.output, (
            unit,
            result.output,
        )
    # Stopping: compose waits as long as systemd before it kills (a worker's sends finish).
    for name, unit in (("web", "safety-bot-web@.service"), ("worker", "safety-bot-worker.service")):
        text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
        timeout = re.search(r"^TimeoutStopSec=(\d+)$", text, re.MULTILINE)
        grace = re.fullmatch(r"(\d+)s", str(service(name).get("stop_grace_period", "10s")))
        assert timeout and grace and int(grace.group(1)) >= int(timeout.group(1)), (name, unit)
    # README's migrate step for systemd is compose's migrate command.
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert " ".join(["safety-bot", *service("migrate")["command"]]) in readme
    # The compose services' commands parse the same way.
    for name in ("web", "worker"):
        args = on_this_machine(service(name)["command"], paths)
        result = CliRunner().invoke(app, args, env={**unset, "WEBHOOK_SECRET": SECRET})
        assert "no bot token in the environment" in result.output, (name, result.output)


def test_the_image_copies_every_package_the_project_installs() -> None:
    """deploy/Dockerfile installs the project with pip: a package pyproject.toml lists but the
    image does not copy fails the build (the emulator was missing once)."""
    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    tops = {pattern.rstrip("*") for pattern in found["find"]["include"]}
    copied = re.findall(r"^COPY (\S+) \1\s*$", (DEPLOY / "Dockerfile").read_text(), re.M)
    assert tops <= set(copied), f"deploy/Dockerfile copies {copied}, pyproject.toml finds {tops}"
