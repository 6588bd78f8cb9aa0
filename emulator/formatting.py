"""Message formatting: parse_mode parsing into plain text + entities, and auto-detected entities.

Entity offsets and lengths are in UTF-16 code units, as in Telegram; error
positions are UTF-8 byte offsets, as in Telegram's "can't parse entities" errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad_request

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_RE = re.compile(r"""([A-Za-z][\w-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_CHAR_REF_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")

_MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_ENTITY_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "blockquote": "Blockquote",
}

_AUTO_ENTITY_RE = re.compile(
    r"(?P<bot_command>(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?![\w@/])"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{4,32})(?!\w)"
    r"|(?P<url>(?<!\w)https?://[^\s<>\"]+)"
)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _parse_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


@dataclass
class _Builder:
    """Accumulates output text while tracking the UTF-16 position for entity offsets."""

    parts: list[str] = field(default_factory=list)
    position: int = 0
    entities: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, chunk: str) -> None:
        if chunk:
            self.parts.append(chunk)
            self.position += utf16_len(chunk)

    def close(self, kind: str, start: int, **extra: Any) -> None:
        if self.position > start:
            entity: dict[str, Any] = {
                "type": kind,
                "offset": start,
                "length": self.position - start,
            }
            entity.update({k: v for k, v in extra.items() if v is not None})
            self.entities.append(entity)

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


# --------------------------------------------------------------------- HTML


@dataclass
class _OpenTag:
    name: str
    start: int
    byte_offset: int
    attrs: dict[str, str]
    absorbed: bool = False  # <code> inside <pre> only names the language


def _unescape_html(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith(("#x", "#X")):
            code = int(ref[2:], 16)
        elif ref.startswith("#"):
            code = int(ref[1:])
        else:
            return _NAMED_HTML_ENTITIES.get(ref.lower(), match.group(0))
        return chr(code) if 0 < code <= 0x10FFFF else match.group(0)

    return _CHAR_REF_RE.sub(replace, text) if "&" in text else text


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        value = next((g for g in match.groups()[1:] if g is not None), "")
        attrs[match.group(1).lower()] = _unescape_html(value)
    return attrs


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[_OpenTag] = []
    index = 0
    length = len(source)
    while index < length:
        next_tag = source.find("<", index)
        if next_tag < 0:
            out.emit(_unescape_html(source[index:]))
            break
        out.emit(_unescape_html(source[index:next_tag]))
        end = source.find(">", next_tag)
        if end < 0:
            raise _parse_error(
                f"Unclosed start tag at byte offset {_byte_offset(source, next_tag)}"
            )
        body = source[next_tag + 1 : end]
        if body.startswith("/"):
            _close_html_tag(source, next_tag, body[1:].strip().lower(), stack, out)
        else:
            _open_html_tag(source, next_tag, body, stack, out)
        index = end + 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.result()


def _open_html_tag(source: str, at: int, body: str, stack: list[_OpenTag], out: _Builder) -> None:
    name, _, raw_attrs = body.strip().partition(" ")
    name = name.lower()
    attrs = _parse_attrs(raw_attrs)
    if name not in _HTML_TAGS or (name == "span" and attrs.get("class") != "tg-spoiler"):
        raise _parse_error(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, at)}'
        )
    tag = _OpenTag(name, out.position, _byte_offset(source, at), attrs)
    if name == "code" and stack and stack[-1].name == "pre" and stack[-1].start == out.position:
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].attrs["language"] = language[len("language-") :]
            tag.absorbed = True
    stack.append(tag)


def _close_html_tag(source: str, at: int, name: str, stack: list[_OpenTag], out: _Builder) -> None:
    if not stack:
        raise _parse_error(f"Unexpected end tag at byte offset {_byte_offset(source, at)}")
    tag = stack[-1]
    if tag.name != name:
        raise _parse_error(
            f"Unmatched end tag at byte offset {_byte_offset(source, at)}, "
            f'expected "</{tag.name}>", found "</{name}>"'
        )
    stack.pop()
    if tag.absorbed:
        return
    kind = _HTML_TAGS[name]
    if kind == "text_link":
        url = tag.attrs.get("href")
        if url:
            out.close(kind, tag.start, url=url)
    elif kind == "pre":
        out.close(kind, tag.start, language=tag.attrs.get("language"))
    elif kind == "blockquote":
        out.close("expandable_blockquote" if "expandable" in tag.attrs else kind, tag.start)
    elif kind == "custom_emoji":
        out.close(kind, tag.start, custom_emoji_id=tag.attrs.get("emoji-id"))
    elif kind == "date_time":
        unix = tag.attrs.get("unix")
        out.close(kind, tag.start, unix_time=int(unix) if unix and unix.isdigit() else None)
    else:
        out.close(kind, tag.start)


# --------------------------------------------------------------- MarkdownV2


@dataclass
class _OpenMarker:
    kind: str
    start: int  # UTF-16 position in the output
    byte_offset: int  # position of the marker in the source, for error messages
    language: str | None = None


def _pre_header(source: str, after_marker: int) -> tuple[str | None, int]:
    """Language of a ``` block and where its content starts."""
    newline = source.find("\n", after_marker)
    if newline >= 0:
        header = source[after_marker:newline]
        if not any(c.isspace() or c == "`" for c in header):
            return header or None, newline + 1
    return None, after_marker


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[_OpenMarker] = []
    index = 0
    length = len(source)

    def unclosed(marker: _OpenMarker) -> ApiError:
        name = _ENTITY_NAMES[marker.kind]
        return _parse_error(f"Can't find end of {name} entity at byte offset {marker.byte_offset}")

    def toggle(kind: str) -> None:
        if stack and stack[-1].kind == kind:
            marker = stack.pop()
            out.close(kind, marker.start)
        elif any(marker.kind == kind for marker in stack):
            raise unclosed(stack[-1])
        else:
            stack.append(_OpenMarker(kind, out.position, _byte_offset(source, index)))

    while index < length:
        char = source[index]
        if char == "\\":
            if index + 1 < length and 0 < ord(source[index + 1]) <= 126:
                out.emit(source[index + 1])
                index += 2
                continue
            raise _parse_error(
                "Character '\\' is reserved and must be escaped with the preceding '\\'"
            )
        top = stack[-1] if stack else None
        if top is not None and top.kind in ("code", "pre"):
            # Inside code only the closing marker (and escapes, above) are special.
            if top.kind == "pre" and source.startswith("```", index):
                stack.pop()
                out.close("pre", top.start, language=top.language)
                index += 3
            elif top.kind == "code" and char == "`":
                stack.pop()
                out.close("code", top.start)
                index += 1
            else:
                out.emit(char)
                index += 1
            continue
        if source.startswith("```", index):
            language, content_start = _pre_header(source, index + 3)
            stack.append(_OpenMarker("pre", out.position, _byte_offset(source, index), language))
            index = content_start
        elif char == "`":
            stack.append(_OpenMarker("code", out.position, _byte_offset(source, index)))
            index += 1
        elif char == "*":
            toggle("bold")
            index += 1
        elif char == "_" and source.startswith("__", index):
            toggle("underline")
            index += 2
        elif char == "_":
            toggle("italic")
            index += 1
        elif char == "~":
            toggle("strikethrough")
            index += 1
        elif char == "|" and source.startswith("||", index):
            toggle("spoiler")
            index += 2
        elif char == "[":
            stack.append(_OpenMarker("text_link", out.position, _byte_offset(source, index)))
            index += 1
        elif char == "]" and top is not None and top.kind == "text_link":
            stack.pop()
            index = _close_markdown_link(source, index, top, out)
        elif char == ">" and (index == 0 or source[index - 1] == "\n"):
            index = _markdown_blockquote(source, index, out)
        elif char in _MARKDOWN_V2_RESERVED:
            raise _parse_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.emit(char)
            index += 1
    if stack:
        raise unclosed(stack[-1])
    return out.result()


def _close_markdown_link(source: str, index: int, marker: _OpenMarker, out: _Builder) -> int:
    if not source.startswith("(", index + 1):
        raise _parse_error(f"Can't find end of TextUrl entity at byte offset {marker.byte_offset}")
    url_chars: list[str] = []
    cursor = index + 2
    while cursor < len(source) and source[cursor] != ")":
        if source[cursor] == "\\" and cursor + 1 < len(source):
            cursor += 1
        url_chars.append(source[cursor])
        cursor += 1
    if cursor >= len(source):
        raise _parse_error(f"Can't find end of a URL at byte offset {_byte_offset(source, index)}")
    out.close("text_link", marker.start, url="".join(url_chars))
    return cursor + 1


def _markdown_blockquote(source: str, index: int, out: _Builder) -> int:
    """Consume consecutive '>'-prefixed lines as one blockquote; inner text is taken literally."""
    start = out.position
    cursor = index
    lines: list[str] = []
    while cursor < len(source) and source[cursor] == ">":
        newline = source.find("\n", cursor)
        stop = newline if newline >= 0 else len(source)
        lines.append(source[cursor + 1 : stop])
        cursor = stop + 1 if newline >= 0 else stop
        if newline < 0:
            break
    out.emit("\n".join(lines))
    out.close("blockquote", start)
    if cursor <= len(source) and source[cursor - 1 : cursor] == "\n":
        out.emit("\n")
    return cursor


# ------------------------------------------------------------ legacy Markdown

_LEGACY_MARKERS = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown(source: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    index = 0
    length = len(source)
    while index < length:
        char = source[index]
        if char == "\\" and index + 1 < length and source[index + 1] in "_*`[":
            out.emit(source[index + 1])
            index += 2
            continue
        if source.startswith("```", index):
            end = source.find("```", index + 3)
            if end < 0:
                raise _legacy_unclosed(source, index)
            start = out.position
            out.emit(source[index + 3 : end])
            out.close("pre", start)
            index = end + 3
            continue
        if char in _LEGACY_MARKERS:
            end = source.find(char, index + 1)
            if end < 0:
                raise _legacy_unclosed(source, index)
            start = out.position
            out.emit(source[index + 1 : end])
            out.close(_LEGACY_MARKERS[char], start)
            index = end + 1
            continue
        if char == "[":
            close = source.find("](", index)
            end = source.find(")", close + 2) if close >= 0 else -1
            if end < 0:
                raise _legacy_unclosed(source, index)
            start = out.position
            out.emit(source[index + 1 : close])
            out.close("text_link", start, url=source[close + 2 : end])
            index = end + 1
            continue
        out.emit(char)
        index += 1
    return out.result()


def _legacy_unclosed(source: str, index: int) -> ApiError:
    return _parse_error(
        f"Can't find end of the entity starting at byte offset {_byte_offset(source, index)}"
    )


# ------------------------------------------------------------------- public


def format_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]] | None]:
    """Apply parse_mode (or explicit entities) the way Telegram does before storing a message."""
    if entities is not None:
        return text, entities or None
    if not parse_mode:
        return text, None
    mode = parse_mode.lower()
    if mode == "html":
        plain, found = parse_html(text)
    elif mode == "markdownv2":
        plain, found = parse_markdown_v2(text)
    elif mode == "markdown":
        plain, found = parse_markdown(text)
    else:
        raise bad_request("unsupported parse_mode")
    return plain, found or None


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities a Telegram client derives from plain user text: commands, mentions, links."""
    found: list[dict[str, Any]] = []
    for match in _AUTO_ENTITY_RE.finditer(text):
        kind = match.lastgroup
        assert kind is not None
        found.append(
            {
                "type": kind,
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return found
