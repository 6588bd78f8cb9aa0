"""Words written into the exported files, in Chinese (the inspectors' language) or English.

Kept here rather than in bot/locales because storage never imports bot; the chat texts of
/export live in bot/locales/export.toml.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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
    "sheet.patrols": {"zh": "巡查记录", "en": "Patrols"},
    "sheet.roster": {"zh": "值班安排", "en": "Duty roster"},
    "sheet.hazards": {"zh": "隐患台账", "en": "Hazard register"},
    "sheet.drills": {"zh": "演练记录", "en": "Drills"},
    "sheet.bus": {"zh": "校车记录", "en": "School buses"},
    "sheet.uncertain": {"zh": "未确认送达", "en": "Delivery unconfirmed"},
    "col.recipient": {"zh": "收件人", "en": "Recipient"},
    "col.message_kind": {"zh": "消息类别", "en": "Message"},
    "col.uncertain_why": {"zh": "原因", "en": "Why"},
    "col.resent": {"zh": "已由管理员重发", "en": "Resent by an admin"},
    "action.delivery.resend": {"zh": "重发未确认送达的消息", "en": "resent unconfirmed sends"},
    "book.drills": {"zh": "应急疏散演练", "en": "Evacuation drills"},
    "book.bus": {"zh": "校车接送记录", "en": "School-bus trips"},
    "col.drill_theme": {"zh": "演练主题", "en": "Theme"},
    "col.drill_start": {"zh": "开始时间", "en": "Started"},
    "col.drill_end": {"zh": "结束时间", "en": "Ended"},
    "col.drill_seconds": {"zh": "疏散用时（秒）", "en": "Evacuation (s)"},
    "col.drill_classes": {"zh": "报数班级", "en": "Classes reported"},
    "col.expected": {"zh": "应到", "en": "Expected"},
    "col.present": {"zh": "实到", "en": "Present"},
    "col.drill_short": {"zh": "人数不符", "en": "Short"},
    "col.problems": {"zh": "存在问题", "en": "Problems"},
    "col.measures": {"zh": "改进措施", "en": "Improvements"},
    "col.feedback_by": {"zh": "反馈人", "en": "Feedback by"},
    "col.marshal_notes": {"zh": "楼层反馈", "en": "Marshals' feedback"},
    "col.drill_photos": {"zh": "照片", "en": "Photos"},
    "action.bus.boarded": {"zh": "校车上车清点", "en": "counted the riders at boarding"},
    "action.bus.arrived": {"zh": "校车到达清点", "en": "counted the riders at arrival"},
    "action.bus.checked": {"zh": "车厢检查", "en": "checked the empty bus"},
    "action.bus.check_late": {"zh": "校车清点或车厢检查超时", "en": "bus count or check late"},
    "action.bus.absent": {"zh": "登记学生不乘车", "en": "marked a rider absent"},
    "action.bus.riders_imported": {"zh": "导入乘车名单", "en": "imported the riders"},
    "action.drill.started": {"zh": "开始演练", "en": "started the drill"},
    "action.drill.ended": {"zh": "结束演练", "en": "ended the drill"},
    "action.drill.counted": {"zh": "演练清点人数", "en": "reported a drill headcount"},
    "action.drill.closed": {"zh": "演练归档", "en": "closed the drill"},
    "action.drill.moved": {"zh": "演练改期", "en": "moved the drill"},
    "action.drill.problem": {"zh": "演练反馈问题", "en": "noted a drill problem"},
    "action.drill.suggestion": {"zh": "演练提出建议", "en": "made a drill suggestion"},
    "action.drill.photo": {"zh": "演练照片", "en": "sent a drill photo"},
    "detail.trip_id": {"zh": "车次编号", "en": "trip"},
    "detail.bus": {"zh": "车号", "en": "bus"},
    "detail.leg": {"zh": "班次", "en": "run"},
    "detail.present": {"zh": "实到", "en": "present"},
    "detail.expected": {"zh": "应到", "en": "expected"},
    "detail.missing": {"zh": "未到", "en": "missing"},
    "detail.rider": {"zh": "学生", "en": "pupil"},
    "detail.riders": {"zh": "学生人数", "en": "riders"},
    "detail.buses": {"zh": "各车人数", "en": "per bus"},
    "detail.file": {"zh": "文件名", "en": "file"},
    "detail.drill_id": {"zh": "演练编号", "en": "drill"},
    "detail.seconds": {"zh": "疏散用时（秒）", "en": "evacuation (s)"},
    "col.bus": {"zh": "车号", "en": "Bus"},
    "col.bus_leg": {"zh": "班次", "en": "Run"},
    "col.boarded": {"zh": "上车实到", "en": "Boarded"},
    "col.board_missing": {"zh": "上车未到", "en": "Not boarded"},
    "col.boarded_at": {"zh": "上车清点时间", "en": "Counted at boarding"},
    "col.arrived": {"zh": "到达实到", "en": "Arrived"},
    "col.arrive_missing": {"zh": "到达未到", "en": "Missing at arrival"},
    "col.arrived_at": {"zh": "到达清点时间", "en": "Counted at arrival"},
    "col.escort": {"zh": "跟车老师", "en": "Escort"},
    "col.checked_by": {"zh": "车厢检查人", "en": "Bus checked by"},
    "col.checked_at": {"zh": "车厢检查时间", "en": "Bus checked at"},
    "col.alerted_at": {"zh": "超时告警", "en": "Late alert"},
    "drill.planned": {"zh": "待开始", "en": "planned"},
    "drill.started": {"zh": "进行中", "en": "in progress"},
    "drill.ended": {"zh": "待反馈", "en": "feedback due"},
    "drill.closed": {"zh": "已归档", "en": "closed"},
    "bus_leg.am": {"zh": "早班（到校）", "en": "morning"},
    "bus_leg.pm": {"zh": "放学班（离校）", "en": "afternoon"},
    "col.hazard_area": {"zh": "类别", "en": "Area"},
    "col.hazard_item": {"zh": "检查项目", "en": "Inspection item"},
    "col.hazard_found_by": {"zh": "发现人", "en": "Found by"},
    "col.hazard_found_at": {"zh": "发现时间", "en": "Found at"},
    "col.hazard_owner": {"zh": "整改责任人", "en": "Owner"},
    "col.hazard_fixed_at": {"zh": "整改完成时间", "en": "Fixed at"},
    "col.hazard_verified_by": {"zh": "复查人", "en": "Verified by"},
    "col.hazard_signed_by": {"zh": "审核签字", "en": "Signed by"},
    "col.hazard_days": {"zh": "整改天数", "en": "Days to fix"},
    "col.hazard_rejected": {"zh": "驳回次数", "en": "Rejected"},
    "col.hazard_reopened": {"zh": "重开次数", "en": "Reopened"},
    "hazard.reported": {"zh": "待指派", "en": "to assign"},
    "hazard.assigned": {"zh": "待校长确认", "en": "awaiting the principal"},
    "hazard.open": {"zh": "整改中", "en": "being fixed"},
    "hazard.fixed": {"zh": "待复查", "en": "to verify"},
    "hazard.verified": {"zh": "待校长审核", "en": "awaiting sign-off"},
    "hazard.closed": {"zh": "已销号", "en": "closed"},
    "hazard_area.fire": {"zh": "校园消防", "en": "Fire safety"},
    "hazard_area.building": {"zh": "校舍", "en": "Buildings"},
    "hazard_area.equipment": {"zh": "设施设备", "en": "Facilities and equipment"},
    "hazard_area.security": {"zh": "校园三防", "en": "Security"},
    "hazard_area.gas": {"zh": "燃气", "en": "Gas"},
    "hazard_area.power": {"zh": "用电", "en": "Electricity"},
    "hazard_area.structure": {"zh": "建筑结构", "en": "Structure"},
    "hazard_area.exits": {"zh": "疏散通道", "en": "Evacuation routes"},
    "hazard_area.other": {"zh": "其他", "en": "Other"},
    "routine.inspection": {"zh": "隐患排查", "en": "Inspections"},
    "book.hazards": {"zh": "隐患排查整改", "en": "Hazards and their rectification"},
    "book.hazard_figures": {
        "zh": "本月发现隐患 {raised} 条，复查验收 {fixed} 条（按期整改 {on_time} 条），逾期 {overdue} 条，重新打开 {reopened} 条。",
        "en": "Raised {raised}, fixed and verified {fixed} ({on_time} by the deadline), overdue {overdue}, reopened {reopened}.",
    },
    "book.hazard_chart": {"zh": "隐患发现与整改", "en": "Hazards raised and fixed"},
    "book.hazard_photos": {"zh": "整改前后对比", "en": "Before and after"},
    "book.hazard_title": {
        "zh": "#{id} {area}：{what}（{place}）",
        "en": "#{id} {area}: {what} ({place})",
    },
    "book.hazard_steps": {
        "zh": "责任人 {owner}，期限 {deadline}，状态 {status}",
        "en": "Owner {owner}, deadline {deadline}, {status}",
    },
    "book.before": {"zh": "整改前", "en": "Before"},
    "book.after": {"zh": "整改后", "en": "After"},
    "book.no_photo": {"zh": "（无照片）", "en": "(no photo)"},
    "book.rejected_fixes": {"zh": "复查驳回的整改照片", "en": "Photos of the rejected fixes"},
    "chart.raised": {"zh": "发现", "en": "raised"},
    "chart.fixed": {"zh": "整改验收", "en": "fixed"},
    "chart.overdue": {"zh": "逾期", "en": "overdue"},
    "none": {"zh": "无记录", "en": "No records"},
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
    "col.incident_id": {"zh": "编号", "en": "No."},
    "col.shift": {"zh": "班次", "en": "Shift"},
    "col.on_duty": {"zh": "值班人员", "en": "On duty"},
    "col.patrol_by": {"zh": "巡查人", "en": "Patrolled by"},
    "col.patrol_id": {"zh": "编号", "en": "No."},
    "col.on_time": {"zh": "按时", "en": "On time"},
    "col.late": {"zh": "逾期", "en": "Late"},
    "col.missing": {"zh": "未完成", "en": "Missing"},
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
    "book.incidents": {"zh": "情况报告", "en": "Incidents"},
    "book.handovers": {"zh": "交接班记录", "en": "Handovers"},
    "book.notices": {"zh": "家长通知及确认情况", "en": "Notices and confirmations"},
    "book.notice_classes": {
        "zh": "各班回执（按学生计）",
        "en": "Each class's receipts (per pupil)",
    },
    "sheet.notice_classes": {"zh": "各班回执", "en": "Receipts by class"},
    "col.pupils": {"zh": "学生数", "en": "Pupils"},
    "col.receipts": {"zh": "已回执", "en": "Receipts"},
    "col.choices": {"zh": "选择", "en": "Choices"},
    "col.signed": {"zh": "已签字", "en": "Signed"},
    "book.patrols": {"zh": "巡查记录", "en": "Patrols"},
    "book.roster": {"zh": "值班安排", "en": "Duty roster"},
    "book.none": {"zh": "无记录。", "en": "No records."},
    "book.severity": {"zh": "【{severity}】", "en": "[{severity}] "},
    "book.chart_by_day": {"zh": "逐日完成率", "en": "Completion per day"},
    "chart.ylabel": {"zh": "完成率 (%)", "en": "Completion (%)"},
    "chart.on_time": {"zh": "按时完成", "en": "on time"},
    "chart.late": {"zh": "逾期完成", "en": "late"},
    "chart.missing": {"zh": "未完成", "en": "missing"},
    # What a submission was, for the 提交记录 column (storage.models.Submission.kind).
    "submission.button": {"zh": "点击确认", "en": "confirmed"},
    "submission.button.submit": {"zh": "提交交班", "en": "handed over"},
    "submission.button.confirm": {"zh": "确认接班", "en": "confirmed the handover"},
    "submission.button.zero": {"zh": "零报告", "en": "zero report"},
    "submission.button.incident": {"zh": "有情况", "en": "something to report"},
    "submission.incident": {"zh": "情况报告", "en": "incident report"},
    "submission.photo": {"zh": "照片", "en": "photo"},
    "submission.text": {"zh": "文字", "en": "text"},
    "submission.patrol": {"zh": "巡查", "en": "patrol"},
    "submission.document": {"zh": "文件", "en": "document"},
    # The audit log's actions (storage.audit.record) and the names of their details.
    "action.joined": {"zh": "加入", "en": "joined"},
    "action.invite.create": {"zh": "创建邀请链接", "en": "created an invite"},
    "action.group.bind": {"zh": "绑定班级群", "en": "linked a class group"},
    "action.lang.set": {"zh": "设置语言", "en": "set the language"},
    "action.calendar.on": {"zh": "设为上课日", "en": "made a school day"},
    "action.calendar.off": {"zh": "设为不上课", "en": "made a day off"},
    "action.calendar.clear": {"zh": "恢复默认校历", "en": "restored the calendar"},
    "action.pause": {"zh": "暂停提醒", "en": "paused the reminders"},
    "action.resume": {"zh": "恢复提醒", "en": "resumed the reminders"},
    "action.incident.handled": {"zh": "情况已处理", "en": "handled an incident"},
    "action.incident.note": {"zh": "修改处理说明", "en": "corrected a handling note"},
    "action.duty.swap.request": {"zh": "申请换班", "en": "asked for a swap"},
    "action.duty.swap.accept": {"zh": "同意换班", "en": "accepted a swap"},
    "action.duty.roster.import": {"zh": "导入值班表", "en": "imported the roster"},
    "action.duty.roster.set": {"zh": "设置值班", "en": "set a duty post"},
    "action.notice.send": {"zh": "发送家长通知", "en": "sent a notice"},
    "action.notice.cancel": {"zh": "取消家长通知", "en": "cancelled a notice"},
    "action.notice.chase": {"zh": "私下提醒未确认的家长", "en": "reminded unconfirmed parents"},
    "action.pupils.import": {"zh": "导入学生名单", "en": "imported a class list"},
    "action.export": {"zh": "导出台账", "en": "exported the record book"},
    "action.hazard.raised": {"zh": "登记隐患", "en": "raised a hazard"},
    "action.hazard.measure": {"zh": "临时管控措施", "en": "took a temporary measure"},
    "action.hazard.assigned": {"zh": "指派隐患整改", "en": "assigned a hazard"},
    "action.hazard.listed": {"zh": "校长确认责任清单", "en": "signed a hazard's assignment"},
    "action.hazard.fixed": {"zh": "隐患整改完成", "en": "fixed a hazard"},
    "action.hazard.rejected": {"zh": "复查驳回", "en": "rejected a hazard's fix"},
    "action.hazard.verified": {"zh": "复查验收通过", "en": "verified a hazard's fix"},
    "action.hazard.signed": {"zh": "校长审核签字", "en": "signed off a hazard"},
    "action.hazard.reopened": {"zh": "重开隐患", "en": "reopened a hazard"},
    "action.leave.create": {"zh": "登记请假代班", "en": "recorded a leave and substitute"},
    "action.leave.request": {"zh": "申请请假代班", "en": "asked for a substitute"},
    "action.leave.approve": {"zh": "批准请假代班", "en": "approved a leave"},
    "action.leave.refuse": {"zh": "不批准请假代班", "en": "refused a leave"},
    "action.leave.cancel": {"zh": "取消请假代班", "en": "cancelled a leave"},
    "action.privacy.consent": {"zh": "同意个人信息告知", "en": "consented to the data notice"},
    "action.privacy.export": {"zh": "导出本人信息", "en": "exported their own data"},
    "action.privacy.forget": {"zh": "删除家长信息", "en": "deleted a parent's data"},
    "action.privacy.forget_pupil": {"zh": "删除学生信息", "en": "removed a pupil's data"},
    "detail.pupil_id": {"zh": "学生编号", "en": "pupil"},
    "detail.guardians": {"zh": "家长关联", "en": "guardians' links"},
    "action.privacy.retention": {"zh": "到期数据删除", "en": "deleted data past retention"},
    "detail.leave_id": {"zh": "请假编号", "en": "leave"},
    "detail.teacher": {"zh": "请假老师", "en": "on leave"},
    "detail.substitute": {"zh": "代班老师", "en": "substitute"},
    "detail.first_day": {"zh": "开始", "en": "from"},
    "detail.last_day": {"zh": "结束", "en": "to"},
    "detail.version": {"zh": "告知版本", "en": "version"},
    "detail.guardian_id": {"zh": "家长编号", "en": "parent"},
    "detail.children": {"zh": "孩子", "en": "children"},
    "detail.messages": {"zh": "消息", "en": "messages"},
    "detail.photos": {"zh": "照片", "en": "photos"},
    "detail.receipts": {"zh": "回执", "en": "receipts"},
    "detail.pupils": {"zh": "学生", "en": "pupils"},
    "detail.retention_days": {"zh": "保存天数", "en": "kept for days"},
    "detail.via": {"zh": "方式", "en": "by"},
    "detail.role": {"zh": "角色", "en": "role"},
    "detail.unit": {"zh": "班级/部门", "en": "class/department"},
    "detail.invite_id": {"zh": "邀请编号", "en": "invite"},
    "detail.max_uses": {"zh": "可用次数", "en": "uses"},
    "detail.chat_id": {"zh": "群编号", "en": "chat"},
    "detail.language": {"zh": "语言", "en": "language"},
    "detail.day": {"zh": "日期", "en": "day"},
    "detail.days": {"zh": "日期", "en": "days"},
    "detail.reason": {"zh": "原因", "en": "reason"},
    "detail.incident_id": {"zh": "情况编号", "en": "incident"},
    "detail.note": {"zh": "处理说明", "en": "note"},
    "detail.hazard_id": {"zh": "隐患编号", "en": "hazard"},
    "detail.category": {"zh": "类别", "en": "category"},
    "detail.severity": {"zh": "程度", "en": "severity"},
    "detail.urgent": {"zh": "紧急", "en": "urgent"},
    "detail.owner_id": {"zh": "责任人编号", "en": "owner"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "detail.deadline": {"zh": "期限", "en": "deadline"},
    "detail.measure": {"zh": "措施", "en": "measure"},
    "detail.old": {"zh": "原说明", "en": "was"},
    "detail.new": {"zh": "新说明", "en": "now"},
    "detail.swap": {"zh": "换班编号", "en": "swap"},
    "detail.notice_id": {"zh": "通知编号", "en": "notice"},
    "detail.child": {"zh": "孩子", "en": "child"},
    "detail.reminders": {"zh": "提醒人数", "en": "reminders"},
    "detail.added": {"zh": "新增", "en": "added"},
    "detail.audience": {"zh": "对象", "en": "audience"},
    "detail.recipients": {"zh": "对象人数", "en": "recipients"},
    "detail.reachable": {"zh": "可送达", "en": "reachable"},
    "detail.groups": {"zh": "班级群数", "en": "class groups"},
    "detail.filename": {"zh": "文件名", "en": "file"},
    "detail.rows": {"zh": "行数", "en": "rows"},
    "detail.post": {"zh": "岗位", "en": "post"},
    "detail.people": {"zh": "值班人员", "en": "on duty"},
    "detail.replaced": {"zh": "替换下", "en": "replaced"},
    "detail.start": {"zh": "开始", "en": "from"},
    "detail.end": {"zh": "结束", "en": "to"},
    "detail.files": {"zh": "文件", "en": "files"},
    "language.zh": {"zh": "中文", "en": "Chinese"},
    "language.en": {"zh": "英文", "en": "English"},
    "audience.school": {"zh": "全校家长", "en": "all parents"},
    "audience.staff": {"zh": "全体教职工", "en": "all staff"},
    "audience.grades": {"zh": "{grades}年级家长", "en": "parents of grade {grades}"},
    "audience.classes": {"zh": "{classes}家长", "en": "parents of {classes}"},
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


def submission_name(lang: str, kind: str, action: str = "") -> str:
    """What a submission was (点击确认, 零报告, 提交交班 …); unknown kinds stay as stored."""
    for key in (f"submission.{kind}.{action}", f"submission.{kind}"):
        if key in _WORDS:
            return word(lang, key)
    return kind


def known(key: str) -> bool:
    return key in _WORDS


def listed(lang: str, items: list[str] | tuple[str, ...]) -> str:
    return ("、" if lang != "en" else ", ").join(items)


@dataclass(frozen=True)
class Names:
    """The school's own names for the codes the database keeps: its posts, shifts and handover
    checklist (config.toml) and the roles (the chat's words), in the book's language.

    storage does not read the settings, so the caller gives them (scheduler.exports.kind_namer);
    a code without a name stays as stored. Called as (routine, kind) it names a task's kind,
    so it goes wherever a KindNamer did.
    """

    kind: KindNamer = plain_kind
    posts: Mapping[str, str] = field(default_factory=dict)
    shifts: Mapping[str, str] = field(default_factory=dict)  # post → 白班、夜班
    checks: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, routine: str, kind: str) -> str:
        return self.kind(routine, kind)

    def post(self, slug: str) -> str:
        return self.posts.get(slug, slug)

    def shift(self, post: str) -> str:
        return self.shifts.get(post, "")

    def check(self, item: str) -> str:
        return self.checks.get(item, item)

    def role(self, role: str) -> str:
        return self.roles.get(role, role)

    def order(self, post: str) -> tuple[int, str]:
        """Posts in the config's order (leader first), unknown ones after, by slug."""
        return (list(self.posts).index(post) if post in self.posts else len(self.posts), post)

    @classmethod
    def of(cls, kind_name: KindNamer) -> Names:
        return kind_name if isinstance(kind_name, Names) else cls(kind=kind_name)
