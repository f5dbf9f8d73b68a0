"""Every text a resident or organizer reads, in one place, so the office can reword them.

Placeholders in braces are filled with `str.format`. Keep each reply short enough for
a phone screen.
"""

# ── general ────────────────────────────────────────────────────────────────
BUSY = "系统繁忙，请稍后再试"
UNKNOWN = "没听懂“{text}”。回复“帮助”查看可以说什么。"
NON_TEXT = "暂时只能看懂文字消息。回复“帮助”查看可以说什么。"
EXITED = "已退出。回复“帮助”查看可以说什么。"
NOTHING_TO_EXIT = "当前没有进行中的操作。回复“帮助”查看可以说什么。"
NEED_NUMBER = "请在“{word}”后面加上活动编号，例如“{word} 3”。"
FORBIDDEN = "无权执行“{word}”：该命令仅限社区工作人员使用。"
FORBIDDEN_SCOPE = "无权操作其他社区的活动。"

WELCOME = (
    "欢迎关注{org}志愿服务！\n在这里可以报名志愿清扫、讲座、文艺活动，查询服务时长。\n先回复“注册”登记信息，再回复“活动”看看最近的活动吧。"
)
WELCOME_BACK = "欢迎回来！回复“活动”查看最近的活动。"

HELP_RESIDENT = (
    "可以这样说：\n"
    "活动 — 近期活动（更多：下一页）\n"
    "活动 3 — 活动详情\n"
    "报名 3 / 取消 3 — 报名、取消\n"
    "我的报名 — 我的名额和候补\n"
    "时长 — 我的服务时长\n"
    "签到 码 / 签退 码 — 现场签到签退\n"
    "证明 — 志愿服务记录证明\n"
    "纠错 3 说明 — 时长有误时反馈\n"
    "确认 3 / 请假 3 — 回复活动提醒\n"
    "注册 — 登记或修改个人信息\n"
    "注销 — 删除个人信息\n"
    "退出 — 退出当前操作"
)
HELP_PARTY = "\n在职党员还可以在“时长”里看到年度目标和完成进度。"
HELP_ORGANIZER = (
    "\n\n工作人员命令：\n"
    "发布 — 发布活动\n"
    "名单 3 — 报名名单\n"
    "签到码 3 — 签到码和二维码\n"
    "通知 3 文字 — 通知该活动报名者\n"
    "群发 文字 / 群发 @社区名 文字 / 群发 @党员 文字\n"
    "群发状态 — 群发进度\n"
    "结束 3 — 结束活动并记录时长\n"
    "停办 3 原因 — 停办活动\n"
    "纠错 — 待处理的纠错"
)

# ── registration dialog ────────────────────────────────────────────────────
REG_ASK_NAME = "请输入您的姓名（随时回复“退出”可中止）："
REG_ASK_NAME_EDIT = "修改个人信息。当前姓名：{current}\n请输入姓名，回复“不变”保留："
REG_BAD_NAME = "姓名应为 2–20 个字，请重新输入："
REG_ASK_PHONE = "请输入 11 位手机号："
REG_ASK_PHONE_EDIT = "当前手机号：{current}\n请输入 11 位手机号，回复“不变”保留："
REG_BAD_PHONE = "手机号应为 1 开头的 11 位数字，请重新输入："
REG_ASK_COMMUNITY = "请选择所在社区，回复序号：\n{choices}"
REG_BAD_COMMUNITY = "请回复列表中的序号：\n{choices}"
REG_NO_COMMUNITIES = "暂未设置社区，请联系街道工作人员。"
REG_ASK_PARTY = "您是在职党员吗？回复“是”或“否”："
REG_BAD_PARTY = "请回复“是”或“否”："
REG_ASK_EMPLOYER = "请输入您的在职单位（用于“双报到”记录）："
REG_BAD_EMPLOYER = "单位名称应为 2–40 个字，请重新输入："
REG_DONE = "登记完成！\n姓名：{name}\n手机：{phone}\n社区：{community}\n党员：{party}{employer}\n志愿者编号：{volunteer_no}"
REG_DONE_EMPLOYER = "\n在职单位：{employer}"
REG_NEEDED_FOR_SIGNUP = "报名前需要先登记个人信息，登记完成后自动为您报名活动 {activity_id}。"
KEEP_WORDS = ("不变", "同上")
YES_WORDS = ("是", "是的", "党员", "y", "yes")
NO_WORDS = ("否", "不是", "no", "n", "群众")

# ── activities ─────────────────────────────────────────────────────────────
EVENTS_EMPTY = "近期没有可报名的活动，请留意通知。"
EVENTS_HEADER = "近期活动（第 {page} 页）："
EVENTS_LINE = "【{id}】{when} {title}\n  {place}｜{places}"
EVENTS_MORE = "回复“更多”看下一页，“活动 编号”看详情，“报名 编号”报名。"
EVENTS_FOOTER = "回复“活动 编号”看详情，“报名 编号”报名。"
EVENTS_NO_MORE = "没有更多活动了。回复“活动”从头看。"
PLACES_LEFT = "余 {left} 个名额"
PLACES_FULL = "已满，可候补"
EVENT_DETAIL = (
    "【{id}】{title}\n"
    "类型：{kind}\n"
    "时间：{when} – {end}\n"
    "地点：{place}\n"
    "社区：{community}\n"
    "名额：{capacity} 人（{places}）\n"
    "服务时长：{hours} 小时\n"
    "报名截止：{deadline}\n"
    "{content}"
    "{status}"
)
EVENT_DETAIL_CONTENT = "内容：{content}\n"
EVENT_STATUS_CANCELLED = "本活动已停办。"
EVENT_STATUS_CLOSED = "本活动已结束。"
EVENT_STATUS_OPEN = "回复“报名 {id}”报名。"
EVENT_NOT_FOUND = "没有编号为 {id} 的活动。回复“活动”查看近期活动。"
WHOLE_SUBDISTRICT = "全街道"
KIND_NAMES = {
    "cleanup": "志愿清扫",
    "lecture": "讲座",
    "culture": "文化活动",
    "visit": "走访慰问",
    "training": "培训",
    "other": "其他",
}

# ── sign-up ────────────────────────────────────────────────────────────────
SIGNUP_OK = "报名成功！\n【{id}】{title}\n时间：{when}\n地点：{place}\n请准时参加，不能来请回复“取消 {id}”。"
SIGNUP_WAITLIST = "名额已满，已为您登记候补第{position}位。有人取消时会按顺序递补并通知您。\n【{id}】{title}"
SIGNUP_ALREADY = "您已报名活动【{id}】{title}，无需重复报名。"
SIGNUP_ALREADY_WAITLIST = "您已在活动【{id}】的候补名单中，当前第{position}位。"
SIGNUP_CLOSED = "活动【{id}】报名已截止。"
SIGNUP_NOT_OPEN = "活动【{id}】{status}，不能报名。"
SIGNUP_CONFLICT = "您已报名同一时间的活动【{other_id}】{other_title}，不能同时参加。如需改报，请先回复“取消 {other_id}”。"
CANCEL_OK = "已取消活动【{id}】{title}的报名。"
CANCEL_WAITLIST_OK = "已取消活动【{id}】{title}的候补。"
CANCEL_NONE = "您没有报名活动【{id}】。"
CANCEL_STARTED = "活动【{id}】已开始，不能再取消。"
PROMOTED = "好消息：您候补的活动【{id}】{title}有了名额，已为您转为正式报名。\n时间：{when}\n地点：{place}\n不能来请回复“取消 {id}”。"

MY_SIGNUPS_EMPTY = "您目前没有报名的活动。回复“活动”看看吧。"
MY_SIGNUPS_HEADER = "我的报名："
MY_SIGNUPS_CONFIRMED = "【{id}】{when} {title}（已报名）"
MY_SIGNUPS_WAITLIST = "【{id}】{when} {title}（候补第{position}位）"

STATUS_NAMES = {
    "published": "报名中",
    "cancelled": "已停办",
    "closed": "已结束",
}
