"""Who an update came from, as handlers name them: the person (with roles) that
bot/actors.py loads once per update and the dispatcher injects as ``actor``.

Handlers annotate with ``Person`` from here and hand it to a service; they never read or
write rows themselves (tests/test_layers.py: no handler imports storage.models). ``has_role``
tells a handler which of its answers the actor gets (a parent's /bus, staff's /bus).
"""

from __future__ import annotations

from storage.models import Person
from storage.people import has_role

__all__ = ["Person", "has_role"]
