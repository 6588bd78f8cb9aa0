"""District benchmark: S schools × P parents served by real `safety-bot run --district` processes.

    python -m bench.district [--schools 3] [--parents 300] [--senders 2] [--rss 1,10,30]
                             [--database-url postgresql+asyncpg://postgres@127.0.0.1/district_bench]

PostgreSQL (its own database, created afresh) and Redis as they run on this machine; the Bot
API emulator runs in this process over real HTTP with Telegram's flood limits on (30 a second
per bot, 1 a second per chat); every school has its own bot.

1. Memory: `safety-bot run --district` with 1, 10 and 30 schools (``--rss``), each idle
   (polling every bot, ticking every school) for a few seconds after start-up; its RSS read
   from /proc. ``rss_mb_per_school`` is the slope between the smallest and the largest.
2. A broadcast: S schools, each with P parents who started its bot (seeded straight into the
   database and the emulator), each school's whole-school notice queued at once (the service
   /notice confirms with); ``--senders`` worker processes (``--role worker``, sharing every
   bot's flood budget in Redis) drain all the outboxes. With 2 or more, one worker is killed
   with SIGKILL a few seconds in and another started mid-broadcast. Without the roles (a
   checkout before `--role`) one `--role all` process sends.

``msgs_per_s`` per bot is its parents' deliveries over the time from its first to its last;
in all, every delivery over the first to the last of any. ``duplicates``: a parent's notice
more than once; ``lost``: a reachable parent without it when the bench stops waiting. The
last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.broadcast import queue_notice
from bot.app import App, open_school
from bot.core.settings import Settings, settings_from_dict
from bot.district_demo import fresh_database
from emulator.server import EmulatorServer
from emulator.spec import BUNDLED_SPEC
from storage import db
from storage.models import Chat, Person, Role

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config.toml"
DEFAULT_DB = "postgresql+asyncpg://postgres@127.0.0.1/district_bench"
REDIS_URL = "redis://127.0.0.1:6379/0"
NOTICE = "区教育局通知：寒假安全"
READY = re.compile(r"(\d+) schools in one process")


def token(n: int) -> str:
    return f"{810000000 + n}:AAbenchDistrict{n:04d}".ljust(46, "x")


def slug(n: int) -> str:
    return f"s{n:03d}"


def write_district(
    folder: Path, schools: int, database_url: str, prefix: str, webhook_url: str = ""
) -> Path:
    """district.toml and ``schools`` config.toml (the shipped one, another slug and name)."""
    base = CONFIG.read_text(encoding="utf-8")
    lines = ["[district]", 'name = "基准区教育局"', f'database_url = "{database_url}"']
    if webhook_url:
        lines.append(f'webhook_url = "{webhook_url}"')
    for n in range(schools):
        school = folder / slug(n)
        school.mkdir(parents=True, exist_ok=True)
        config = (
            base.replace('slug = "lvshu"', f'slug = "{slug(n)}"')
            .replace('name = "吕墅小学（演示）"', f'name = "第{n + 1}小学"')
            .replace('media_dir = "var/media"', f'media_dir = "{school / "media"}"')
            .replace('prefix = "safety-bot"', f'prefix = "{prefix}"')
        )
        if 'prefix = "' not in config:
            config = config.replace("\n[redis]\n", f'\n[redis]\nprefix = "{prefix}"\n', 1)
        (school / "config.toml").write_text(config, encoding="utf-8")
        lines += ["", "[[schools]]", f'config = "{slug(n)}/config.toml"']
        lines.append(f'token_env = "BENCH_TOKEN_{n:03d}"')
    path = folder / f"district-{schools}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def school_settings(folder: Path, n: int, database_url: str) -> Settings:
    raw = tomllib.loads((folder / slug(n) / "config.toml").read_text(encoding="utf-8"))
    raw["storage"] = {**raw["storage"], "database_url": database_url}
    return settings_from_dict(raw, base_dir=folder / slug(n))


def roles_exist() -> bool:
    return (ROOT / "bot" / "roles.py").exists()


class DistrictProcess:
    """One `safety-bot run --district` process, its output in files."""

    def __init__(
        self,
        folder: Path,
        district: Path,
        api: str,
        name: str,
        role: str,
        env: dict[str, str],
        *extra: str,
    ) -> None:
        self.err = folder / f"{name}.err"
        args = [sys.executable, "-m", "bot.cli", "run", "--district", str(district)]
        args += ["--api-base", api, "--log-level", "INFO", *extra]
        if role != "all":
            args += ["--role", role]
        with self.err.open("wb") as sink:
            self.popen = subprocess.Popen(
                args, cwd=folder, env=env, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL
            )

    async def ready(self, seconds: float = 180.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if READY.search(self.err.read_text(errors="replace")):
                return
            if self.popen.poll() is not None:
                raise RuntimeError(f"exited:\n{self.err.read_text(errors='replace')[-3000:]}")
            await asyncio.sleep(0.2)
        raise RuntimeError(f"not ready in {seconds} s:\n{self.err.read_text()[-3000:]}")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.popen.pid}/status").read_text()
        kb = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
        return kb / 1024

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    async def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 40
        while self.popen.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        if self.popen.poll() is None:
            self.popen.kill()


def process_env(schools: int, database_url: str, redis: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_TOKEN_")}
    env |= {f"BENCH_TOKEN_{n:03d}": token(n) for n in range(schools)}
    env["DATABASE_URL"] = database_url
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = REDIS_URL
    return env


# --- 1. memory -------------------------------------------------------------------------------


async def measure_rss(
    folder: Path, emu: EmulatorServer, counts: list[int], database_url: str, prefix: str
) -> dict[int, float]:
    found = {}
    for count in counts:
        district = write_district(folder, count, database_url, prefix)
        env = process_env(count, database_url, redis=False)
        process = DistrictProcess(folder, district, emu.url, f"rss-{count}", "all", env)
        try:
            await process.ready()
            await asyncio.sleep(8)  # idle: polling every bot, a tick or two
            found[count] = round(process.rss_mb(), 1)
        finally:
            await process.stop()
        print(f"  {count:3d} schools idle: {found[count]:.1f} MB RSS", flush=True)
    return found


# --- 2. a broadcast --------------------------------------------------------------------------


@dataclass
class Seeded:
    admin_id: int
    parents: list[int]  # Telegram ids (= private chat ids)


async def seed(app: App, emu: EmulatorServer, bot_id: int, parents: int) -> Seeded:
    world = emu.world

    def started(name: str) -> int:
        user = world.create_user(first_name=name)
        world.user_send_text(user.id, "/start", bot_id=bot_id)
        return int(user.id)

    admin_chat = started("校长")
    chats = [started(f"家长{n:04d}") for n in range(parents)]
    world.bot(bot_id).updates.clear()
    now = app.now()
    async with app.sessions.begin() as session:
        classes = await db_classes(session, app.school_id)
        people_rows = [_person(app, "校长", admin_chat, "admin", None, now)] + [
            _person(app, f"家长{n:04d}", chat, "parent", classes[n % len(classes)], now)
            for n, chat in enumerate(chats)
        ]
        session.add_all(people_rows)
        await session.flush()
        session.add_all(
            Chat(
                school_id=app.school_id,
                tg_chat_id=person.tg_user_id,
                kind="private",
                title="",
                person_id=person.id,
                unreachable=False,
                created_at=now,
            )
            for person in people_rows
        )
        return Seeded(people_rows[0].id, chats)


async def db_classes(session: Any, school_id: int) -> list[int]:
    from storage import people

    return [u.id for u in await people.units(session, school_id, "class")]


def _person(app: App, name: str, tg: int, role: str, unit: int | None, now: dt.datetime) -> Person:
    return Person(
        school_id=app.school_id,
        display_name=name,
        tg_user_id=tg,
        unreachable=False,
        created_at=now,
        roles=[Role(role=role, unit_id=unit, created_at=now)],
    )


def deliveries(emu: EmulatorServer, bot_id: int, chats: list[int]) -> tuple[int, int]:
    """(parents with the notice, extra copies) through ``bot_id``."""
    delivered = duplicates = 0
    for chat_id in chats:
        mine = [
            m
            for m in emu.world.chat(chat_id, bot_id).messages_of_bot(bot_id)
            if NOTICE in str(m.view())
        ]
        delivered += bool(mine)
        duplicates += max(len(mine) - 1, 0)
    return delivered, duplicates


async def broadcast(
    folder: Path,
    emu: EmulatorServer,
    schools: int,
    parents: int,
    senders: int,
    database_url: str,
    prefix: str,
    timeout_s: float,
    kill: bool,
) -> dict[str, Any]:
    district = write_district(folder, schools, database_url, prefix)
    bots = [emu.world.create_bot(token(n), username=f"bench{n:03d}_bot").id for n in range(schools)]
    engine = db.make_engine(database_url)
    await db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    apps = [
        await open_school(school_settings(folder, n, database_url), engine, sessions)
        for n in range(schools)
    ]
    seeded = [await seed(app, emu, bot, parents) for app, bot in zip(apps, bots, strict=True)]
    with_roles = roles_exist() and senders >= 1
    role = "worker" if with_roles else "all"
    env = process_env(schools, database_url, redis=with_roles)
    count = senders if with_roles else 1
    workers = [
        DistrictProcess(folder, district, emu.url, f"worker-{k}", role, env) for k in range(count)
    ]
    started_late: DistrictProcess | None = None
    try:
        await asyncio.gather(*(w.ready() for w in workers))
        await asyncio.sleep(1.2)
        emu.flood.reset()
        emu.world.stats = type(emu.world.stats)()
        sends: dict[int, list[float]] = {}  # chat → emulator times of its sends
        original = emu.world.stats.record_send

        def record(chat_id: int, at: float) -> None:
            sends.setdefault(chat_id, []).append(at)
            original(chat_id, at)

        emu.world.stats.record_send = record  # type: ignore[method-assign]
        deadline = apps[0].now() + dt.timedelta(days=2)
        queued = 0
        for app, school in zip(apps, seeded, strict=True):
            _, result = await queue_notice(app, school.admin_id, deadline, text=NOTICE)
            queued += result.reachable
        began = time.monotonic()
        killed = False
        total = schools * parents
        while time.monotonic() - began < timeout_s:
            await asyncio.sleep(0.5)
            if kill and count >= 2 and not killed and time.monotonic() - began > 3:
                workers[0].kill()  # a worker dies mid-broadcast: SIGKILL, its leases held
                killed = True
                started_late = DistrictProcess(
                    folder, district, emu.url, "worker-late", role, env
                )  # and another starts mid-broadcast
            done = sum(
                deliveries(emu, bot, s.parents)[0] for bot, s in zip(bots, seeded, strict=True)
            )
            if done >= total:
                break
        await asyncio.sleep(2)  # anything sent twice would be sent by now
        per_bot = []
        firsts, lasts = [], []
        delivered_all = duplicates_all = 0
        for n, (bot, school) in enumerate(zip(bots, seeded, strict=True)):
            delivered, duplicates = deliveries(emu, bot, school.parents)
            times = sorted(t for chat in school.parents for t in sends.get(chat, []))
            span = (times[-1] - times[0]) if len(times) > 1 else 0.0
            if times:
                firsts.append(times[0])
                lasts.append(times[-1])
            per_bot.append(
                {
                    "school": slug(n),
                    "delivered": delivered,
                    "msgs_per_s": round(delivered / span, 2) if span else 0.0,
                }
            )
            delivered_all += delivered
            duplicates_all += duplicates
        span_all = (max(lasts) - min(firsts)) if firsts else 0.0
        return {
            "queued": queued,
            "delivered": delivered_all,
            "msgs_per_s_per_bot": per_bot,
            "msgs_per_s": round(delivered_all / span_all, 2) if span_all else 0.0,
            "http_429": emu.world.stats.responses.get(429, 0),
            "duplicates": duplicates_all,
            "lost": queued - delivered_all,
            "sender_processes": count,
            "role": role,
            "worker_killed_and_one_started": killed,
        }
    finally:
        for worker in [*workers, *([started_late] if started_late else [])]:
            if worker.popen.poll() is None:
                await worker.stop()
        await engine.dispose()


# --- 3. ingest by webhook: 1 and 2 web workers ------------------------------------------------


async def ingest(
    folder: Path,
    emu: EmulatorServer,
    schools: int,
    workers: int,
    people: int,
    each: int,
    database_url: str,
    prefix: str,
) -> tuple[float, dict[str, Any]]:
    """Updates handled a second by ``workers`` web workers (``--role web``, Redis) behind a
    round-robin proxy (nginx's part): ``people`` strangers per school each send ``each``
    messages to its bot (each answered: who they are is looked up, the update stored and
    handled once), as fast as the emulator delivers webhooks (40 at once, a chat's next
    after its previous). The emulator's flood limits are off here: this is the bot's speed."""
    from bot.district_demo import round_robin

    ports = [free_port() for _ in range(workers)]
    proxy_port = free_port()
    district = write_district(
        folder, schools, database_url, prefix, webhook_url=f"http://127.0.0.1:{proxy_port}"
    )
    env = process_env(schools, database_url, redis=True) | {"WEBHOOK_SECRET": "bench-district-1"}
    proxy = await round_robin(proxy_port, ports)
    web = [
        DistrictProcess(
            folder,
            district,
            emu.url,
            f"web-{workers}-{k}",
            "web",
            env,
            "--webhook",
            "--webhook-port",
            str(port),
        )
        for k, port in enumerate(ports)
    ]
    try:
        await asyncio.gather(*(w.ready() for w in web))
        await asyncio.sleep(2)
        world = emu.world
        bots = [token(n) for n in range(schools)]
        senders = []
        for n in range(schools):
            bot_id = int(bots[n].split(":")[0])
            senders += [
                (world.create_user(first_name=f"访客{n}-{k}").id, bot_id) for k in range(people)
            ]
        total = len(senders) * each
        started = time.monotonic()
        cpu_started = time.process_time(), [_cpu_seconds(w.popen.pid) for w in web]
        services_started, machine_started = _services_cpu(), _machine_busy()
        for round_ in range(each):
            for user_id, bot_id in senders:
                world.user_send_text(user_id, f"你好 {round_}", bot_id=bot_id)
        while time.monotonic() - started < 300:
            replies = sum(world.stats.sent_per_chat.get(u, 0) for u, _ in senders)
            if replies >= total:
                break
            await asyncio.sleep(0.1)
        seconds = time.monotonic() - started
        handled = sum(world.stats.sent_per_chat.get(u, 0) for u, _ in senders)
        # Who was busy: this process (the emulator, the proxy and the people, one thread),
        # each web worker, PostgreSQL's and Redis's processes, as a share of one core over
        # the round; and the whole machine, in cores (this one has os.cpu_count() of them).
        services = _services_cpu()
        cpu = {
            "bench_process": round((time.process_time() - cpu_started[0]) / seconds, 2),
            "web_workers": [
                round((_cpu_seconds(w.popen.pid) - before) / seconds, 2)
                for w, before in zip(web, cpu_started[1], strict=True)
            ],
            **{
                # A backend that exited during the round takes its CPU with it: never below 0.
                name: round(max(0.0, services[name] - services_started[name]) / seconds, 2)
                for name in services
            },
            "machine_busy_cores": round((_machine_busy() - machine_started) / seconds, 2),
            "machine_cores": os.cpu_count(),
        }
        return round(min(handled, total) / seconds, 1), cpu
    finally:
        for worker in web:
            await worker.stop()
        await proxy.cleanup()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (Linux /proc), in seconds."""
    return _stat_cpu(Path(f"/proc/{pid}/stat").read_text())


def _stat_cpu(stat: str) -> float:
    """User + system CPU seconds in a /proc/<pid>/stat line."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _services_cpu() -> dict[str, float]:
    """CPU seconds so far of every PostgreSQL and Redis process on the machine (their
    backends come and go; one that exits mid-round is missed, a small undercount)."""
    totals = {"postgres": 0.0, "redis": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        kind = "postgres" if name.startswith("postgres") else "redis" if "redis" in name else ""
        if kind:
            totals[kind] += _stat_cpu(raw)
    return totals


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far (/proc/stat: all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    prefix = f"bench-district-{os.getpid()}"
    counts = sorted({int(c) for c in args.rss.split(",") if c.strip()})
    with tempfile.TemporaryDirectory(prefix="bench-district-") as name:
        folder = Path(name)
        async with EmulatorServer(spec_path=BUNDLED_SPEC, token=None, flood=True) as emu:
            for n in range(max(counts + [args.schools])):
                emu.world.create_bot(token(n), username=f"bench{n:03d}_bot")
            rss: dict[int, float] = {}
            if counts:
                await fresh_database(args.database_url)
                print("memory, idle:", flush=True)
                rss = await measure_rss(folder, emu, counts, args.database_url, prefix)
            runs = {}
            for kill in (False, True):
                await fresh_database(args.database_url)
                emu.world.reset()
                print(
                    f"broadcast: {args.schools} schools × {args.parents} parents, "
                    f"{args.senders} sender processes"
                    + (", one killed -9 and one started mid-broadcast" if kill else ""),
                    flush=True,
                )
                runs[kill] = await broadcast(
                    folder,
                    emu,
                    args.schools,
                    args.parents,
                    args.senders,
                    args.database_url,
                    prefix,
                    args.timeout,
                    kill,
                )
                if args.senders < 2 or not roles_exist():
                    break
            ingest_rates: dict[str, float] | None = None
            ingest_cpu: dict[str, Any] | None = None
            if roles_exist() and args.ingest:
                ingest_rates, ingest_cpu = {}, {}
                emu.flood.configure(enabled=False)
                for workers in (1, 2):
                    await fresh_database(args.database_url)
                    emu.world.reset()
                    print(f"ingest: {workers} web worker(s)", flush=True)
                    ingest_rates[str(workers)], ingest_cpu[str(workers)] = await ingest(
                        folder,
                        emu,
                        args.schools,
                        workers,
                        args.ingest_people,
                        5,
                        args.database_url,
                        prefix,
                    )
    sent, crash = runs[False], runs.get(True, runs[False])
    per_school = 0.0
    if len(rss) >= 2:
        low, high = min(rss), max(rss)
        per_school = round((rss[high] - rss[low]) / (high - low), 2)
    return {
        "schools": args.schools,
        "parents": args.parents,
        "msgs_per_s": sent["msgs_per_s"],
        "msgs_per_s_per_bot": {b["school"]: b["msgs_per_s"] for b in sent["msgs_per_s_per_bot"]},
        "http_429": sent["http_429"],
        "duplicates": sent["duplicates"] + crash["duplicates"] * (crash is not sent),
        "lost": sent["lost"] + crash["lost"] * (crash is not sent),
        "with_a_worker_killed": {
            k: crash[k] for k in ("msgs_per_s", "http_429", "duplicates", "lost", "delivered")
        }
        if crash is not sent
        else None,
        "rss_mb": {str(k): v for k, v in rss.items()},
        "rss_mb_per_school": per_school,
        "sender_processes": sent["sender_processes"],
        "ingest_updates_per_s": ingest_rates,
        "ingest_cpu_share": ingest_cpu,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.district")
    parser.add_argument("--schools", type=int, default=3)
    parser.add_argument("--parents", type=int, default=300)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--rss", default="1,10,30", help="school counts measured idle")
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument("--ingest", type=int, default=1, help="0: no ingest rounds")
    parser.add_argument("--ingest-people", type=int, default=60, help="strangers per school")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    for school, rate in result["msgs_per_s_per_bot"].items():
        print(f"  {school}: {rate:.2f} msg/s")
    print(
        f"in all {result['msgs_per_s']:.2f} msg/s, {result['http_429']} × 429, "
        f"{result['duplicates']} duplicates, {result['lost']} lost; "
        f"{result['rss_mb_per_school']} MB RSS per added school"
    )
    if result["ingest_updates_per_s"]:
        rates = result["ingest_updates_per_s"]
        print(
            "ingest by webhook: "
            + ", ".join(f"{w} web worker(s) {r} updates/s" for w, r in rates.items())
        )
        for workers, cpu in (result["ingest_cpu_share"] or {}).items():
            print(
                f"  {workers} web worker(s): this process (emulator, proxy, people) used "
                f"{cpu['bench_process']} of a core, the web workers {cpu['web_workers']}, "
                f"PostgreSQL {cpu['postgres']}, Redis {cpu['redis']}; the machine was busy "
                f"{cpu['machine_busy_cores']} of its {cpu['machine_cores']} cores"
            )
    print(json.dumps(result))
    ok = result["duplicates"] == 0 and result["lost"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
