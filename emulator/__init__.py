"""A local Telegram Bot API emulator for end-to-end tests, the demo and benchmarks.

See README.md in this package for the control API.
"""

from .client import EmulatorClient, EmulatorError
from .faults import FaultRule
from .flood import FloodConfig
from .server import DEFAULT_TOKEN, EmulatorServer
from .spec import ApiSpec
from .standalone import main, serve
from .world import World

__all__ = [
    "DEFAULT_TOKEN",
    "ApiSpec",
    "EmulatorClient",
    "EmulatorError",
    "EmulatorServer",
    "FaultRule",
    "FloodConfig",
    "World",
    "main",
    "serve",
]
