"""One flood budget per bot token, shared by every process that sends for that bot.

Telegram counts its limits per bot token: about 30 messages a second overall, one a second
per chat, 20 a minute per group. One process counts them in memory (``sender.SendWindow``,
``bot.request_limits.PaceChats``), unchanged; several processes sending for one bot (web
workers answering, sender workers draining the outbox) keep one set of windows in Redis,
here. The outbox sender and handlers' replies take their turns from the same budget.

Why a small Lua script and not the ``limits`` library's Redis moving window:

- A send needs three windows at once (the bot's second, the chat's 1.02 s, a group's
  minute) and must take all three or none. ``limits`` checks one item per call: three round
  trips, and a send that got the bot's second but not its chat's slot has spent a turn that
  nobody used. The script checks and takes all three atomically, in one round trip.
- A send counts from when its answer came back, and while in flight it counts already
  (``SendWindow``'s rule, which keeps latency jitter from putting 31 in one of Telegram's
  seconds and catches up a stall). ``limits`` counts a hit when it is taken, and has no
  "in flight" state: the budget would have to lose a margin to jitter.
- The chat's interval is 1.02 s; ``limits`` windows are whole seconds (1 per 2 s or 1 per
  1 s, both wrong), and it answers "no" but not "when": callers poll blindly, where the
  script returns how long to wait.
- Every process reads one clock, Redis's own (``TIME``): no clock skew between machines.

Speed decides nothing here (Telegram allows 30 a second): bench/flood_redis.py, one client
on localhost, a shared 2-core machine under load: the script's acquire + record 0.25 ms a
send (median), 1,100–1,400 sends/s per connection; ``limits`` 5.8 (redis-py), three ``hit``
calls a send, 0.34 ms, 1,070 sends/s, without the semantics above.

A send in flight is held ``HOLD_S`` seconds at most: a process killed mid-send frees its
places then. Keys carry the bot's id in a hash tag, ``{prefix}{<bot id>}:…``, so they stay
in one slot of a Redis cluster and expire on their own.
"""

from __future__ import annotations

import asyncio
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

HOLD_S = 90.0  # a send unanswered this long stops holding its place (a request times out first)
ALL_IN_FLIGHT_POLL_S = 0.005  # every place is in flight: an answer, not time, frees one
# A send to the chat is in flight: its answer frees the chat. Before, a waiter slept out the
# whole hold (90 s): a web worker's reply in a chat the worker had just written to stalled a
# minute, past aiogram's event-isolation lock (LockNotOwnedError).
CHAT_IN_FLIGHT_POLL_S = 0.05
WEBHOOK_MARGIN_S = 0.05  # a reply in a webhook's response reaches Telegram a moment later
DEFAULT_PREFIX = "safety-bot:flood:"
# Set by the outbox sender in the task of a send whose turn it took: the bot's request
# middleware (bot.request_limits.PaceChats) must not take a second one for the same message.
TURN_TAKEN: ContextVar[bool] = ContextVar("flood_turn_taken", default=False)

# KEYS: the bot's window, the chat's free-at, the group's window, the bot's pause
# ARGV: ticket, limit, window, chat interval, group limit, group window, hold, is group, mode,
# all-in-flight poll, webhook margin, chat-in-flight poll
# mode "wait": take the places as in flight, or return the wait; "now": take them as sent
# now, or return the wait (the caller does not wait: a webhook reply goes elsewhere then).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local interval = tonumber(ARGV[4])
local glimit = tonumber(ARGV[5])
local gwindow = tonumber(ARGV[6])
local hold = tonumber(ARGV[7])
local is_group = ARGV[8] == '1'
local wait = 0
local paused = tonumber(redis.call('GET', KEYS[4]) or '0')
if paused > now then wait = paused - now end
local free = tonumber(redis.call('GET', KEYS[2]) or '0')
local chat_wait = free - now
-- Further off than one interval: a send to this chat is in flight, and its answer (not
-- the hold) frees the chat; ask again soon rather than sleep out the hold.
if chat_wait > interval then chat_wait = tonumber(ARGV[12]) end
if chat_wait > wait then wait = chat_wait end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local due = tonumber(redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')[2])
  local w = due + window - now
  if due > now then w = tonumber(ARGV[10]) end
  if w > wait then wait = w end
end
if is_group then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - gwindow)
  local gcount = redis.call('ZCARD', KEYS[3])
  if gcount >= glimit then
    local gdue = tonumber(redis.call('ZRANGE', KEYS[3], gcount - glimit, gcount - glimit, 'WITHSCORES')[2])
    local w = gdue + gwindow + 0.5 - now
    if gdue > now then w = tonumber(ARGV[10]) end
    if w > wait then wait = w end
  end
end
if wait > 0 then return tostring(wait) end
local at = now + hold
local chat_free = now + hold
if ARGV[9] == 'now' then
  at = now + tonumber(ARGV[11])
  chat_free = at + interval
end
redis.call('ZADD', KEYS[1], at, ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil((window + hold) * 1000))
redis.call('SET', KEYS[2], tostring(chat_free), 'PX', math.ceil((chat_free - now) * 1000) + 1)
if is_group then
  redis.call('ZADD', KEYS[3], at, ARGV[1])
  redis.call('PEXPIRE', KEYS[3], math.ceil((gwindow + hold + 1) * 1000))
end
return '0'
"""

# The answer came back (or the send was given up): it counts from now, and the chat's next
# message may leave one interval later.
# KEYS: the bot's window, the chat's free-at, the group's window; ARGV: ticket, interval, is group
_RECORD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
redis.call('SET', KEYS[2], tostring(now + interval), 'PX', math.ceil(interval * 1000) + 1)
if ARGV[3] == '1' then redis.call('ZADD', KEYS[3], 'XX', now, ARGV[1]) end
return 1
"""

# A 429: every process sending for this bot holds its sends until it has passed.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > current then
  redis.call('SET', KEYS[1], tostring(until_), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1)
end
return 1
"""


@dataclass(frozen=True)
class Budget:
    """Telegram's limits as this bot keeps under them."""

    messages_per_second: int = 29  # one under 30: Telegram's clock and ours are not one
    per_chat_interval_s: float = 1.02
    group_messages_per_minute: int = 20
    second_s: float = 1.0


class RedisFlood:
    """The windows of every bot sharing one Redis; ``for_bot`` gives one bot's budget."""

    def __init__(self, redis: Any, budget: Budget = Budget(), prefix: str = DEFAULT_PREFIX):
        self.redis = redis
        self.budget = budget
        self.prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)
        self._record = redis.register_script(_RECORD)
        self._pause = redis.register_script(_PAUSE)

    def for_bot(self, bot_id: int) -> BotFlood:
        return BotFlood(self, bot_id)


class BotFlood:
    """One bot's budget: ``acquire`` before a message leaves, ``record`` when its answer came
    back (or it never left), ``take_now`` for a reply that cannot wait, ``pause`` on a 429."""

    def __init__(self, shared: RedisFlood, bot_id: int) -> None:
        self.shared = shared
        self.bot_id = bot_id
        base = f"{shared.prefix}{{{bot_id}}}:"
        self._all = base + "all"
        self._pause_key = base + "pause"
        self._chat_base = base + "chat:"
        self._group_base = base + "group:"

    def _keys(self, chat_id: int) -> list[str]:
        return [
            self._all,
            f"{self._chat_base}{chat_id}",
            f"{self._group_base}{chat_id}",
            self._pause_key,
        ]

    def _args(self, ticket: str, chat_id: int, mode: str) -> list[Any]:
        budget = self.shared.budget
        return [
            ticket,
            budget.messages_per_second,
            budget.second_s,
            budget.per_chat_interval_s,
            budget.group_messages_per_minute,
            60.0,
            HOLD_S,
            "1" if chat_id < 0 else "0",
            mode,
            ALL_IN_FLIGHT_POLL_S,
            WEBHOOK_MARGIN_S,
            CHAT_IN_FLIGHT_POLL_S,
        ]

    async def try_acquire(self, chat_id: int, ticket: str) -> float:
        """Takes the places as in flight and returns 0, or returns how long to wait."""
        answer = await self.shared._acquire(
            keys=self._keys(chat_id), args=self._args(ticket, chat_id, "wait")
        )
        return float(answer)

    async def acquire(self, chat_id: int) -> str:
        """Waits for the bot's second, the chat's slot and (a group) its minute; returns the
        ticket to ``record`` once the answer is back."""
        ticket = secrets.token_hex(8)
        while True:
            wait = await self.try_acquire(chat_id, ticket)
            if wait <= 0:
                return ticket
            await asyncio.sleep(wait)

    async def record(self, ticket: str, chat_id: int) -> None:
        await self.shared._record(
            keys=self._keys(chat_id)[:3],
            args=[ticket, self.shared.budget.per_chat_interval_s, "1" if chat_id < 0 else "0"],
        )

    async def take_now(self, chat_id: int) -> bool:
        """The places, counted as sent now, if all are free now; else False and nothing taken."""
        answer = await self.shared._acquire(
            keys=self._keys(chat_id), args=self._args(secrets.token_hex(8), chat_id, "now")
        )
        return float(answer) <= 0

    async def pause(self, seconds: float) -> None:
        await self.shared._pause(keys=[self._pause_key], args=[max(seconds, 0.0)])


def redis_flood(url: str, budget: Budget = Budget(), prefix: str = DEFAULT_PREFIX) -> RedisFlood:
    from redis.asyncio import Redis

    return RedisFlood(Redis.from_url(url), budget, prefix)
