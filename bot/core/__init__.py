"""The base package: what every layer may use — settings, texts (i18n), dates, the clock,
typed text, platform-neutral messages and their callback codec.

It imports nothing of the project outside itself (tests/test_layers.py checks it), so
storage, scheduler and handlers can all lean on it without reaching up to the composition
root, which is the rest of ``bot/``.
"""
