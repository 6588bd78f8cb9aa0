"""Bot API method implementations; importing this package fills ``REGISTRY``."""

from . import bot_settings, chats, editing, sending, updates
from .bot_settings import registered_commands
from .registry import REGISTRY, CallContext, MethodEntry, MethodRegistry

__all__ = [
    "REGISTRY",
    "CallContext",
    "MethodEntry",
    "MethodRegistry",
    "bot_settings",
    "chats",
    "editing",
    "registered_commands",
    "sending",
    "updates",
]
