"""The audit log as an inspector reads it: 创建邀请链接 / 角色：值班领导；邀请编号：2, not
``invite.create`` and its JSON. An action or detail without a word here stays as stored, so a
new action is still shown, only less nicely.
"""

from __future__ import annotations

from typing import Any

from storage.exports.labels import Names, known, listed, status_name, word


def action_name(lang: str, action: str) -> str:
    key = f"action.{action}"
    return word(lang, key) if known(key) else action


def detail_text(lang: str, names: Names, detail: dict[str, Any]) -> str:
    colon, separator = (": ", "; ") if lang == "en" else ("：", "；")
    parts = []
    for key, value in detail.items():
        text = _value(lang, names, key, value)
        if text:
            label = word(lang, f"detail.{key}") if known(f"detail.{key}") else key
            parts.append(f"{label}{colon}{text}")
    return separator.join(parts)


def _value(lang: str, names: Names, key: str, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if key == "audience" and isinstance(value, dict):
        return _audience(lang, value)
    if isinstance(value, list):
        return listed(lang, [_value(lang, names, key, v) for v in value])
    if isinstance(value, dict):
        return detail_text(lang, names, value)
    if key == "role":
        return names.role(str(value))
    if key == "post":
        return names.post(str(value))
    if key == "language" and known(f"language.{value}"):
        return word(lang, f"language.{value}")
    if isinstance(value, bool):
        return word(lang, "yes" if value else "no")
    if key == "category":  # a hazard's
        return status_name(lang, str(value), "hazard_area")
    if key == "severity":
        return status_name(lang, str(value), "severity")
    if key == "leg":  # a bus trip's: am / pm
        return status_name(lang, str(value), "bus_leg")
    return str(value)


def _audience(lang: str, audience: dict[str, Any]) -> str:
    """storage.notices.Audience.to_json(), its classes by name (records._named)."""
    kind = audience.get("kind", "")
    if kind == "grades":
        grades = listed(lang, [str(g) for g in audience.get("grades", ())])
        return word(lang, "audience.grades", grades=grades)
    if kind == "classes":
        return word(lang, "audience.classes", classes=listed(lang, audience.get("classes", [])))
    return word(lang, f"audience.{kind}") if known(f"audience.{kind}") else str(kind)
