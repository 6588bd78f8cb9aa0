"""Texts read in one language: a Chinese text names what a Chinese reader would type."""

from __future__ import annotations

import re

from bot.core.i18n import catalog

# Words with no Chinese form: file types, units, products, and the few command words the bot
# only takes in English (/calendar off|on|clear, /lang zh|en).
NAMES = {
    "Excel", "Word", "PDF", "DOCX", "xlsx", "csv", "MB", "KB", "Telegram", "BotFather",
    "setprivacy", "Disable", "chinesecalendar", "config", "toml", "volunteers", "true",
    "off", "on", "clear", "zh", "en",
}  # fmt: skip


def english_words(text: str) -> set[str]:
    text = re.sub(r"\{[a-z_]+\}", "", text)  # placeholders
    text = re.sub(r"/help [a-z]+|/[a-z_]+", "", text)  # commands, and /help's topics
    return set(re.findall(r"[A-Za-z]{2,}", text)) - NAMES


def test_chinese_texts_have_no_english_words_but_names() -> None:
    mixed = {key: english_words(entry["zh"]) for key, entry in catalog().items()}
    assert {key: words for key, words in mixed.items() if words} == {}


def test_english_texts_have_no_chinese_but_examples_of_chinese_names() -> None:
    # A class's name (三(2)班) is Chinese in either language; nothing else is.
    mixed = {
        key: re.findall(r"[\u4e00-\u9fff]+", entry["en"].replace("三(2)班", ""))
        for key, entry in catalog().items()
    }
    assert {key: words for key, words in mixed.items() if words} == {}
