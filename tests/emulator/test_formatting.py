"""parse_mode parsing and auto-detected entities, with Telegram's UTF-16 offsets."""

from __future__ import annotations

import pytest

from emulator.errors import ApiError
from emulator.formatting import (
    detect_entities,
    format_text,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
)


def test_offsets_count_utf16_code_units() -> None:
    # The emoji is one Python character but two UTF-16 code units.
    text, entities = parse_html("😀 <b>粗</b>")
    assert text == "😀 粗"
    assert entities == [{"type": "bold", "offset": 3, "length": 1}]


def test_nested_html_and_pre_language() -> None:
    text, entities = parse_html(
        '<b>a<i>b</i></b><pre><code class="language-python">x = 1</code></pre>'
        '<tg-spoiler>s</tg-spoiler><span class="tg-spoiler">t</span><blockquote expandable>q</blockquote>'
    )
    assert text == "abx = 1stq"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 1, "length": 1},
        {"type": "pre", "offset": 2, "length": 5, "language": "python"},
        {"type": "spoiler", "offset": 7, "length": 1},
        {"type": "spoiler", "offset": 8, "length": 1},
        {"type": "expandable_blockquote", "offset": 9, "length": 1},
    ]


def test_html_errors_report_utf8_byte_offsets() -> None:
    with pytest.raises(ApiError) as caught:
        parse_html("安<foo>")
    assert caught.value.description == (
        'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 3'
    )
    with pytest.raises(ApiError, match='start tag "span"'):
        parse_html("<span>plain spans are not allowed</span>")


def test_markdown_v2() -> None:
    text, entities = parse_markdown_v2("*粗 _斜_* ||藏|| [链接](https://x.org/a\\)b) \\#1")
    assert text == "粗 斜 藏 链接 #1"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "italic", "offset": 2, "length": 1},
        {"type": "spoiler", "offset": 4, "length": 1},
        {"type": "text_link", "offset": 6, "length": 2, "url": "https://x.org/a)b"},
    ]
    with pytest.raises(ApiError, match="Character '#' is reserved"):
        parse_markdown_v2("#1")
    with pytest.raises(ApiError, match="Can't find end of Bold entity at byte offset 0"):
        parse_markdown_v2("*open")
    code_text, code_entities = parse_markdown_v2("`a.b*c` ```py\nprint(1)```")
    assert code_text == "a.b*c print(1)"
    assert code_entities == [
        {"type": "code", "offset": 0, "length": 5},
        {"type": "pre", "offset": 6, "length": 8, "language": "py"},
    ]


def test_legacy_markdown() -> None:
    text, entities = parse_markdown("*b* _i_ `c` [t](https://x.org)")
    assert text == "b i c t"
    assert [e["type"] for e in entities] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(ApiError, match="Can't find end of the entity"):
        parse_markdown("*open")


def test_explicit_entities_win_over_parse_mode() -> None:
    entities = [{"type": "bold", "offset": 0, "length": 3}]
    assert format_text("<b>", "HTML", entities) == ("<b>", entities)
    assert format_text("plain", None, None) == ("plain", None)
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        format_text("x", "BBCode", None)


def test_detected_entities() -> None:
    assert detect_entities("/start child_42") == [{"type": "bot_command", "offset": 0, "length": 6}]
    found = detect_entities("请 /report@safety_bot 看 @zhang_san https://x.org/a 和 a/b")
    assert [(e["type"], e["offset"], e["length"]) for e in found] == [
        ("bot_command", 2, 18),
        ("mention", 23, 10),
        ("url", 34, 15),
    ]
