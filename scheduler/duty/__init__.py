"""24-hour duty (24小时值班): the roster, swaps, the handover (交接班) and patrols (巡查).

The tick (``ticks``) reminds people before their duty, opens each post's handover at the end
of its shifts and alerts the leader on duty when a handover or its confirmation is missing.
``roster`` reads roster files and /duty edits, ``swap`` swaps two people's duty,
``handover`` (with its messages in ``handover_text``) is the checklist the outgoing person
submits and the incoming person confirms, ``patrol`` records what was checked; ``notify``
sends their private messages through the outbox. When duty happens is the rule of
scheduler/rules/duty.py.
"""

from __future__ import annotations

from scheduler.duty.ticks import OVERVIEWS, TICK_JOBS, duty_overview, duty_tick

__all__ = ["OVERVIEWS", "TICK_JOBS", "duty_overview", "duty_tick"]
