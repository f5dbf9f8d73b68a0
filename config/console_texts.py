"""Texts of the organizer console (SPEC §10): the chat replies of its login, and the messages
its pages show after an action. Page labels live in the console's Jinja templates."""

# ── signing in from chat (`登录 NNNNNN`, the login QR, `退出登录`) ─────────────
LOGIN_FORBIDDEN = "无权登录工作台：工作台仅限社区工作人员使用。"
LOGIN_NEED_CODE = "请发送工作台登录页上显示的“登录 六位数字”，例如“登录 123456”。"
LOGIN_WRONG_CODE = "登录码不对或已过期（登录码 2 分钟内有效，只能用一次）。请刷新工作台登录页，发送新的登录码。"
LOGIN_TOO_MANY = "登录码错误次数太多，请 10 分钟后再试。"
LOGIN_QR_EXPIRED = "这个登录二维码已过期或已使用，请刷新工作台登录页再扫。"
LOGIN_OK = (
    "已登录工作台：{browser}（IP {ip}），{time}。\n"
    "如果不是您本人操作，请立即回复“退出登录”，所有工作台登录都会失效。"
)
LOGOUT_DONE = "已退出 {count} 个工作台登录。"
LOGOUT_NONE = "当前没有登录中的工作台。"
UNKNOWN_BROWSER = "未知浏览器"

# ── the login page ──────────────────────────────────────────────────────────
LOGIN_PAGE_TOO_MANY = "登录码申请过于频繁，请稍后再试。"

# ── messages after an action on a page ──────────────────────────────────────
SAVED = "已保存。"
PUBLISHED = "活动 {id}「{title}」已发布。"
DUPLICATED = "已复制为 {count} 个新活动：{ids}。"
DUPLICATE_NO_DATES = "请至少填写一个新日期（YYYY-MM-DD，每行一个）。"
DUPLICATE_BAD_DATE = "日期“{text}”看不懂，请写成 2026-12-05。"
CHANGED = "活动已修改，已通知 {count} 人。"
UNCHANGED = "没有改动。"
CANCELLED = "活动已停办，已通知 {count} 人。"
CLOSED = "活动已结束，{count} 人记入时长，共 {total} 小时。"
PROMOTED = "{name} 已从候补转为正式名额，已通知本人。"
PROMOTE_FULL = "名额已满：先移除一人或扩大名额，才能转正候补。"
PROMOTE_NOT_WAITING = "此人不在候补名单中。"
REMOVED = "{name} 已移出名单，已通知本人。"
REMOVE_NOT_HOLDING = "此人当前没有名额或候补。"
CHECKED_IN = "{name} 已签到。"
RESOLVED = "纠错 #{dispute_id} 已处理：{before} → {after} 小时。"
BROADCAST_STARTED = "群发 #{id} 已开始，共 {size} 人。"
BAD_FORM = "表单有误：{detail}"
BAD_TIME = "时间“{text}”看不懂，请用日期和时间选择框。"
BAD_NUMBER = "“{field}”应为数字。"
START_PAST = "开始时间已经过去：新活动请选将来的时间（补录过去的活动请用命令行 events create）。"
CAPACITY_BELOW_TAKEN = "名额不能少于已报名的 {taken} 人。"

# ── notices to residents about what an organizer did by hand ────────────────
REMOVED_NOTICE = "您在活动【{id}】{title}（{when}）的报名已被工作人员取消。如有疑问请联系社区。"
REMOVED_SUMMARY = "报名已被工作人员取消"
CHECKED_IN_NOTICE = "工作人员已为您在活动【{id}】{title}签到（{time}）。"
CHECKED_IN_SUMMARY = "工作人员已为您签到"

# ── the audit log: what each action is called ───────────────────────────────
AUDIT_ACTIONS = {
    "login": "登录工作台",
    "logout": "退出工作台",
    "publish": "发布活动",
    "edit": "修改活动",
    "change": "改时间/地点",
    "duplicate": "复制活动",
    "cancel": "停办活动",
    "close": "结束并记时长",
    "notify": "通知报名者",
    "broadcast": "群发",
    "promote": "候补转正",
    "remove": "移出名单",
    "checkin": "代为签到",
    "checkin_code": "生成签到码",
    "resolve": "处理纠错",
    "bind": "绑定工作人员",
}

# Exports: the roster's columns and file names.
ROSTER_EXPORT_HEADER = ("序号", "姓名", "手机", "志愿者编号", "状态", "签到", "签退")
ROSTER_STATUS = {"confirmed": "已报名", "waitlisted": "候补"}
EXPORT_HOURS_FILE = "志愿服务时长台账"
EXPORT_EMPLOYERS_FILE = "双报到季度汇总"
EXPORT_ROSTER_FILE = "名单"

# The hours 台账 as Excel, built in the background: its status page.
EXPORT_BUILD_TITLE = "生成 Excel：{name}"
EXPORT_BUILDING = "正在生成…（已写 {rows} 行）"
EXPORT_BUILDING_HINT = "可以离开此页，一小时内回到这里下载；再次点“生成 Excel”也会回到这次生成。"
EXPORT_DONE = "已生成，共 {rows} 行。"
EXPORT_DOWNLOAD = "下载 {name}.xlsx"
EXPORT_KEPT = "文件保留一小时。"
EXPORT_FAILED = "生成失败，请重试。如果再次失败，请联系管理员。"
EXPORT_RETRY = "重新生成"
EXPORT_BACK = "返回导出"
