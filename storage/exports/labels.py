"""Words written into the exported files, in Chinese (the inspectors' language) or English.

Kept here rather than in bot/locales because storage never imports bot; the chat texts of
/export live in bot/locales/export.toml.
"""

from __future__ import annotations

from collections.abc import Callable

KindNamer = Callable[[str, str], str]  # (routine, kind) → a label such as 每日1分钟

_WORDS: dict[str, dict[str, str]] = {
    "title": {"zh": "{school} 平安校园工作台账", "en": "{school} safe campus record book"},
    "period": {"zh": "统计时段：{start} 至 {end}", "en": "Period: {start} to {end}"},
    "month": {"zh": "{year}年{month}月", "en": "{year}-{month:02d}"},
    "routine.education": {"zh": "1530安全教育", "en": "1530 safety education"},
    "routine.zero_report": {"zh": "日报告·零报告", "en": "Daily and zero reports"},
    "routine.duty": {"zh": "24小时值班", "en": "24-hour duty"},
    "sheet.incidents": {"zh": "情况报告", "en": "Incidents"},
    "sheet.handovers": {"zh": "交接班记录", "en": "Handovers"},
    "sheet.notices": {"zh": "家长通知", "en": "Notices"},
    "sheet.audit": {"zh": "操作日志", "en": "Audit log"},
    "col.day": {"zh": "日期", "en": "Day"},
    "col.unit": {"zh": "班级/部门", "en": "Class/department"},
    "col.kind": {"zh": "类型", "en": "Kind"},
    "col.theme": {"zh": "主题", "en": "Theme"},
    "col.minutes": {"zh": "时长(分钟)", "en": "Minutes"},
    "col.status": {"zh": "状态", "en": "Status"},
    "col.due": {"zh": "推送时间", "en": "Prompted at"},
    "col.deadline": {"zh": "截止时间", "en": "Deadline"},
    "col.done_by": {"zh": "确认人", "en": "Confirmed by"},
    "col.done_at": {"zh": "确认时间", "en": "Confirmed at"},
    "col.photos": {"zh": "照片数", "en": "Photos"},
    "col.submissions": {"zh": "提交记录", "en": "Submissions"},
    "col.task_id": {"zh": "任务编号", "en": "Task id"},
    "col.reporter": {"zh": "报告人", "en": "Reported by"},
    "col.reported_at": {"zh": "报告时间", "en": "Reported at"},
    "col.place": {"zh": "地点", "en": "Place"},
    "col.severity": {"zh": "程度", "en": "Severity"},
    "col.text": {"zh": "内容", "en": "Text"},
    "col.handled_by": {"zh": "处理人", "en": "Handled by"},
    "col.handled_at": {"zh": "处理时间", "en": "Handled at"},
    "col.handled_note": {"zh": "处理说明", "en": "Handling note"},
    "col.post": {"zh": "岗位", "en": "Post"},
    "col.to_post": {"zh": "接班岗位", "en": "Next post"},
    "col.outgoing": {"zh": "交班人", "en": "Outgoing"},
    "col.incoming": {"zh": "接班人", "en": "Incoming"},
    "col.ends_at": {"zh": "交班时间", "en": "Shift ended"},
    "col.checks": {"zh": "检查项", "en": "Checks"},
    "col.note": {"zh": "交班记录", "en": "Note"},
    "col.submitted_at": {"zh": "提交时间", "en": "Submitted at"},
    "col.confirmed_at": {"zh": "接班确认时间", "en": "Confirmed at"},
    "col.notice_id": {"zh": "编号", "en": "No."},
    "col.author": {"zh": "发布人", "en": "Author"},
    "col.sent_at": {"zh": "发送时间", "en": "Sent at"},
    "col.recipients": {"zh": "对象人数", "en": "Recipients"},
    "col.confirmed": {"zh": "已阅知晓", "en": "Confirmed"},
    "col.rate": {"zh": "确认率", "en": "Confirmation rate"},
    "col.unreachable": {"zh": "无法送达", "en": "Unreachable"},
    "col.at": {"zh": "时间", "en": "Time"},
    "col.person": {"zh": "操作人", "en": "Person"},
    "col.action": {"zh": "操作", "en": "Action"},
    "col.detail": {"zh": "详情", "en": "Detail"},
    "col.answered": {"zh": "已完成", "en": "Done"},
    "task.planned": {"zh": "未推送", "en": "planned"},
    "task.sent": {"zh": "待确认", "en": "waiting"},
    "task.done": {"zh": "按时完成", "en": "done"},
    "task.late": {"zh": "逾期完成", "en": "late"},
    "task.missed": {"zh": "未完成", "en": "missed"},
    "task.escalated": {"zh": "未完成(已报值班领导)", "en": "missing (escalated)"},
    "task.cancelled": {"zh": "已取消", "en": "cancelled"},
    "incident.open": {"zh": "待处理", "en": "open"},
    "incident.handled": {"zh": "已处理", "en": "handled"},
    "severity.general": {"zh": "一般", "en": "general"},
    "severity.serious": {"zh": "较重", "en": "serious"},
    "severity.urgent": {"zh": "紧急", "en": "urgent"},
    "handover.pending": {"zh": "待交班", "en": "awaiting handover"},
    "handover.submitted": {"zh": "待接班确认", "en": "awaiting confirmation"},
    "handover.confirmed": {"zh": "已确认", "en": "confirmed"},
    "notice.sending": {"zh": "发送中", "en": "sending"},
    "notice.sent": {"zh": "已发送", "en": "sent"},
    "notice.closed": {"zh": "已截止", "en": "closed"},
    "book.summary": {
        "zh": "应完成 {tasks} 次，已完成 {answered} 次（其中逾期 {late} 次），完成率 {rate}。",
        "en": "{tasks} expected, {answered} done ({late} late): {rate} complete.",
    },
    "book.themes": {"zh": "教育主题", "en": "Themes"},
    "book.by_day": {"zh": "逐日完成情况", "en": "Day by day"},
    "book.chart": {"zh": "各班完成率", "en": "Completion per class"},
    "book.photos": {"zh": "活动照片", "en": "Photos"},
    "book.photo_caption": {
        "zh": "{day} {unit} {person} {time}",
        "en": "{day} {unit} {person} {time}",
    },
    "book.photo_missing": {
        "zh": "（照片文件缺失：{sha}）",
        "en": "(photo file missing: {sha})",
    },
    "book.photo_format": {
        "zh": "（照片格式无法嵌入：{mime}，{sha}）",
        "en": "(photo format cannot be embedded: {mime}, {sha})",
    },
    "book.nothing": {"zh": "本月无记录。", "en": "Nothing recorded this month."},
    "book.incidents": {"zh": "情况报告", "en": "Incidents"},
    "book.handovers": {"zh": "交接班记录", "en": "Handovers"},
    "book.notices": {"zh": "家长通知及确认情况", "en": "Notices and confirmations"},
    "chart.ylabel": {"zh": "完成率 (%)", "en": "Completion (%)"},
}


def word(lang: str, key: str, **params: object) -> str:
    entry = _WORDS[key]
    text = entry.get(lang) or entry["zh"]
    return text.format(**params) if params else text


def routine_name(lang: str, routine: str) -> str:
    key = f"routine.{routine}"
    return word(lang, key) if key in _WORDS else routine


def status_name(lang: str, status: str, of: str = "task") -> str:
    """``of``: task | incident | severity | handover | notice; unknown values stay as stored."""
    key = f"{of}.{status}"
    return word(lang, key) if key in _WORDS else status


def plain_kind(routine: str, kind: str) -> str:
    return kind
