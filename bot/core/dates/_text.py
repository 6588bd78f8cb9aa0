"""Input clean-up and the vocabulary (numbers, weekdays, months) the grammars share."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 100

# Arabic digits, or Chinese numerals as people write them in dates: 十五, 二十一, 两, 二〇二六.
NUM = r"(?:\d{1,4}|[一二两三四五六七八九]?十[一二三四五六七八九]?|[零〇一二两三四五六七八九]{1,4})"

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3,
    "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip

# Words that fold a day and a part of the day into one; expanding them lets the
# day grammar and the clock grammar each see only their own half.
_CONTRACTIONS = {
    "今晚": "今天晚上",
    "明晚": "明天晚上",
    "昨晚": "昨天晚上",
    "今早": "今天早上",
    "明早": "明天早上",
}

ZH_WEEKDAY = r"[一二三四五六日天七1-7]"
_ZH_WEEKDAYS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7, "七": 7}

_EN_WEEKDAYS = {
    "mon": 1, "monday": 1,
    "tue": 2, "tues": 2, "tuesday": 2,
    "wed": 3, "wednesday": 3,
    "thu": 4, "thur": 4, "thurs": 4, "thursday": 4,
    "fri": 5, "friday": 5,
    "sat": 6, "saturday": 6,
    "sun": 7, "sunday": 7,
}  # fmt: skip

_EN_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip

_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip


def _alternation(words: dict[str, int]) -> str:
    # longest first so "march" is not cut to "mar"
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"


EN_WEEKDAY = _alternation(_EN_WEEKDAYS)
EN_MONTH = _alternation(_EN_MONTHS)
EN_NUM = rf"(?:\d{{1,4}}|{_alternation(_EN_NUMBERS)})"

_CJK_GAP = re.compile(r"\s*([\u3000-\u303f\u4e00-\u9fff])\s*")
_NUMBER_GAP = re.compile(r"(\d)\s*([./:])\s*(?=\d)")  # 3 . 15, 15 : 30


def normalize(text: str) -> str:
    """Fold the ways people type the same phrase into one spelling.

    NFKC turns full-width digits, letters, colon and tilde (０-９ ： ～) into
    ASCII; spaces next to Chinese characters carry no meaning ("明天 下午 3 点").
    """
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = " ".join(text.split())
    text = _CJK_GAP.sub(r"\1", text)
    text = _NUMBER_GAP.sub(r"\1\2", text)
    text = text.rstrip("。.!！")
    for short, long in _CONTRACTIONS.items():
        text = text.replace(short, long)
    return text


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def to_int(token: str) -> int:
    """Value of a token matched by NUM or EN_NUM."""
    if token.isascii() and token.isdigit():
        return int(token)
    if token in _EN_NUMBERS:
        return _EN_NUMBERS[token]
    if "十" in token:
        tens, _, units = token.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)
    # digit by digit, as in years: 二〇二六
    return int("".join(str(_CN_DIGITS[char]) for char in token))


def zh_weekday(token: str) -> int:
    """ISO weekday (Monday=1) of the character after 周/星期/礼拜."""
    return int(token) if token.isdigit() else _ZH_WEEKDAYS[token]


def en_weekday(token: str) -> int:
    return _EN_WEEKDAYS[token]


def en_month(token: str) -> int:
    return _EN_MONTHS[token.rstrip(".")]
