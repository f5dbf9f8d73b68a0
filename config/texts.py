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
    "添加家人 / 我的家人 — 为不用微信的家人代报名\n"
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
REG_PARTY_YES = "是"
REG_PARTY_NO = "否"

# ── activities ─────────────────────────────────────────────────────────────
EVENTS_EMPTY = "近期没有可报名的活动，请留意通知。"
EVENTS_HEADER = "近期活动（第 {page} 页）："
EVENTS_LINE = "【{id}】{when} {title}\n  {place}｜{places}"
EVENTS_MORE = "回复“更多”看下一页，“活动 编号”看详情，“报名 编号”报名。"
EVENTS_FOOTER = "回复“活动 编号”看详情，“报名 编号”报名。"
EVENTS_NO_MORE = "没有更多活动了。回复“活动”从头看。"
PLACES_LEFT = "余 {left} 个名额"
PLACES_FULL = "已满，可候补"
# An activity under way whose sign-ups are still open (its deadline falls after the start).
EVENTS_UNDER_WAY = "进行中，{deadline} 前可报名"
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
SIGNUP_OK_STARTED = "报名成功！\n【{id}】{title}\n活动已于 {when} 开始，地点：{place}\n请尽快到场签到。"
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

# ── organizers: roles, 发布, 名单, 通知, 群发, menu, 注销 (issue 5) ───────────────
BIND_NEED_CODE = "请在“绑定”后面加上邀请码，例如“绑定 AB3CD4EF”。"
BIND_UNKNOWN = "邀请码不正确，请核对后重试。"
BIND_USED = "该邀请码已被使用。请联系管理员重新生成。"
BIND_EXPIRED = "该邀请码已过期。请联系管理员重新生成。"
BIND_ALREADY_ADMIN = "您已是管理员，无需绑定。"
BIND_DONE = "绑定成功！您已成为{scope}的工作人员。回复“帮助”查看工作人员命令。"
BIND_SCOPE_ALL = "全街道"
BIND_REGISTER_HINT = "\n请先回复“注册”登记姓名和手机号，名单和记录中会显示负责人姓名。"

PUBLISH_ASK_KIND = "发布活动（随时回复“退出”可中止）。\n请选择类型，回复序号：\n{choices}"
PUBLISH_BAD_KIND = "请回复类型序号：\n{choices}"
PUBLISH_ASK_TITLE = "请输入活动标题，例如“楼院义务清扫”："
PUBLISH_BAD_TITLE = "标题应为 2–30 个字，请重新输入："
PUBLISH_ASK_TIME = "请输入活动时间（开始和结束），例如：\n11月28日 9:00-11:00\n明天上午9点到11点\n周六 14:30-16:00"
PUBLISH_TIME_ERRORS = {
    "unknown": "没看懂这个时间。请这样写：11月28日 9:00-11:00，或“明天上午9点到11点”。",
    "no_end": "请同时写上结束时间，例如“明天上午9点到11点”。",
    "ambiguous": "这个时间有歧义（上午还是下午？星期几与日期是否一致？）。请写清楚，例如“周六 下午2点到4点”或“11月28日 14:00-16:00”。",
    "past": "这个时间已经过去了，请输入将来的时间，例如“明天上午9点到11点”。",
    "end_before_start": "结束时间要晚于开始时间，例如“9:00-11:00”。",
    "too_far": "只能发布一年以内的活动，请检查日期，例如“11月28日 9:00-11:00”。",
}
PUBLISH_ASK_PLACE = "请输入活动地点，例如“南乾元社区3号院”："
PUBLISH_BAD_PLACE = "地点应为 2–60 个字，请重新输入："
PUBLISH_ASK_CAPACITY = "请输入名额（人数），例如“20”："
PUBLISH_BAD_CAPACITY = "名额应为 1–10000 之间的整数，请重新输入，例如“20”："
PUBLISH_ASK_HOURS = "请输入记录的服务时长（小时，0.5 的倍数），例如“{suggested}”："
PUBLISH_BAD_HOURS = "服务时长应为 0.5–24 之间、0.5 的倍数，例如“{suggested}”。请重新输入："
PUBLISH_ASK_COMMUNITY = "请选择活动所属社区，回复序号：\n{choices}"
PUBLISH_BAD_COMMUNITY = "请回复列表中的序号：\n{choices}"
PUBLISH_ASK_AGES = "参加者有年龄要求吗？例如“3-12”（儿童读书会）、“60以上”，没有请回复“不限”："
PUBLISH_BAD_AGES = "没看懂年龄要求。请回复“不限”，或写成“3-12”、“60以上”、“12以下”："
AGES_ANY = "不限"
AGES_ANY_WORDS = ("不限", "无", "没有", "没", "都行", "不限制")
AGES_ABOVE_WORDS = ("以上", "及以上", "岁以上", "+")
AGES_BELOW_WORDS = ("以下", "及以下", "岁以下")
PUBLISH_CONFIRM = (
    "请确认活动信息：\n"
    "类型：{kind}\n"
    "标题：{title}\n"
    "时间：{when} – {end}\n"
    "地点：{place}\n"
    "名额：{capacity} 人\n"
    "服务时长：{hours} 小时\n"
    "社区：{community}\n"
    "年龄：{ages}\n"
    "回复“确认”发布，回复“退出”放弃。"
)
PUBLISH_CONFIRM_AGAIN = "请回复“确认”发布，或回复“退出”放弃。\n\n"
PUBLISH_STARTED_MEANWHILE = "活动开始时间已经过去，请重新输入活动时间：\n"
PUBLISH_DONE = "已发布活动【{id}】{title}\n时间：{when}\n居民回复“报名 {id}”即可报名；“名单 {id}”查看报名名单。"

ROSTER_HEADER = "【{id}】{title} {when}\n已报名 {confirmed}/{capacity}，候补 {waitlisted}，已签到 {checked_in}，已取消 {cancelled}"
ROSTER_LINE = "{no}. {name} {phone} {state}"
ROSTER_WAIT_LINE = "候补{position}. {name} {phone}"
ROSTER_CHECKED_IN = "已签到{checkin}"
ROSTER_CHECKED_OUT = "已签到{checkin} 签退{checkout}"
ROSTER_NOT_CHECKED_IN = "未签到"
ROSTER_NO_NAME = "(未登记)"
ROSTER_EMPTY = "还没有人报名。"
ROSTER_FOOTER_MORE = "第 {page}/{pages} 页，回复“名单 {id} {next}”看下一页。"
ROSTER_FOOTER_LAST = "第 {page}/{pages} 页（最后一页）。"

NOTIFY_USAGE = "请这样写：通知 3 明天改在南乾元社区活动室集合"
NOTIFY_NOTICE = "【活动通知】{title}（{when}）\n{text}\n（活动编号 {id}）"
NOTIFY_DONE = "已通知活动【{id}】{title}的 {count} 位报名者（含候补）。"
NOTIFY_REPEAT = "这条通知刚刚已发给活动【{id}】的报名者，不再重复发送。"
NOTIFY_NOBODY = "活动【{id}】还没有人报名，没有可通知的人。"

BROADCAST_NEED_TEXT = "请这样写：群发 文字，或“群发 @南乾元社区 文字”，或“群发 @党员 文字”。"
MESSAGE_TOO_LONG = "内容太长（{length} 字），请控制在 {limit} 字以内。"
AUDIENCE_ALL = "全街道居民"
AUDIENCE_PARTY = "在职党员"
AUDIENCE_COMMUNITY = "{name}居民"
BROADCAST_UNKNOWN_COMMUNITY = "没有名为“{name}”的社区。可选：{choices}"
BROADCAST_CONFIRM_ASK = "将群发给【{audience}】共 {size} 人（已关注并登记的居民）：\n“{text}”\n回复“确认”发送，回复“退出”取消。"
BROADCAST_CONFIRM_AGAIN = "请回复“确认”发送，或回复“退出”取消。\n\n"
BROADCAST_EMPTY_AUDIENCE = "【{audience}】目前没有已关注并登记的居民，无需群发。"
BROADCAST_STARTED = "已开始群发（编号 {id}），共 {size} 人，将按发送速率陆续送达。回复“群发状态”查看进度。"
BROADCAST_NOTICE = "【{org}通知】\n{text}"
BROADCAST_TEMPLATE_TITLE = "街道通知"
BROADCAST_STATUS_EMPTY = "您还没有发起过群发。"
BROADCAST_STATUS_HEADER = "最近的群发："
BROADCAST_STATUS_LINE = (
    "【{id}】{when} 发给{audience}\n“{text}”\n{state}：共 {total} 人，已送达 {sent}，待发送 {pending}，无法送达 {failed}"
)
BROADCAST_STATUS_REASONS = "\n  无法送达原因：{reasons}"
BROADCAST_STATES = {"sending": "发送中", "done": "已全部排队", "draft": "草稿"}
BROADCAST_STATE_FINISHED = "已完成"
UNDELIVERABLE_REASONS = {
    "43004": "未关注公众号",
    "43101": "用户拒收消息",
    "45015": "超过48小时未互动",
    "45047": "客服消息条数超限",
    "erased": "已注销",
    "unsubscribed": "已取消关注",
    "expired": "已过期",
}

MENU = (
    ("参加活动", (("近期活动", "EVENTS"), ("我的报名", "MY_SIGNUPS"))),
    ("我的服务", (("服务时长", "MY_HOURS"), ("登记信息", "REGISTER"))),
    ("使用帮助", "HELP"),
)

ERASE_ASK = (
    "注销将删除您的姓名、手机号、在职单位和志愿者编号，并取消尚未开始的报名；"
    "服务时长只以匿名方式保留在统计中，之后无法再出具您的证明。\n"
    "确定注销请回复“确认注销”，回复“退出”放弃。"
)
ERASE_AGAIN = "请回复“确认注销”完成注销，或回复“退出”放弃。"
ERASE_NOTHING = "您还没有登记个人信息，无需注销。"
ERASE_NOT_ASKED = "请先回复“注销”，了解注销会删除哪些信息。"
ERASE_DONE = "已注销，您的个人信息已删除{cancelled}。感谢您参与志愿服务！如需再次参加，回复“注册”重新登记。"
ERASE_CANCELLED = "，{count} 个未开始活动的报名已取消"
ERASE_WITH_FAMILY = "注销会同时删除您添加的 {count} 位家人的信息（{names}），他们的服务时长只保留匿名统计。\n"

# ── check-in and the hours ledger (issue 4) ────────────────────────────────
CHECKIN_OK = "签到成功！\n【{id}】{title}\n签到时间：{time}\n{hint}"
CHECKIN_OK_WALK_IN = "签到成功（您未报名，已为您占用一个空余名额）！\n【{id}】{title}\n签到时间：{time}\n{hint}"
CHECKIN_ALREADY_IN = "您已于 {time} 签到【{id}】{title}，无需重复签到。\n{hint}"
CHECKOUT_HINT_CODE = "离开时再扫一次二维码，或回复“签退 {code}”签退。"
CHECKOUT_HINT_SCAN = "离开时再扫一次二维码签退。"
CHECKOUT_HINT_BEFORE_START = "活动开始后，{hint}"
CHECKIN_ALREADY_OUT = "您已于 {time} 签退【{id}】{title}，活动结束后会记录服务时长。"
CHECKOUT_OK = "签退成功！\n【{id}】{title}\n签到 {in_time}，签退 {out_time}，本次计 {hours} 小时（活动结束后记入）。"
CHECKIN_TOO_EARLY = "【{id}】{title}还没到签到时间，{opens} 起可以签到。"
CHECKIN_OVER = "【{id}】{title}已过签到时间（活动已结束）。"
CHECKIN_CANCELLED = "【{id}】{title}已停办。"
CHECKIN_CLOSED = "【{id}】{title}已结束，服务时长已记录。"
CHECKIN_NO_PLACE = "您没有【{id}】{title}的名额，且名额已满，不能签到。请联系现场工作人员。"
CHECKIN_REGISTER_FIRST = "签到前需要先登记个人信息（服务记录要用志愿者编号）。请回复“注册”。"
CHECKIN_WRONG_CODE = "签到码不正确，请核对现场公布的 6 位数字。"
CHECKIN_TOO_MANY_TRIES = "签到码错误次数太多，请 10 分钟后再试，或请现场工作人员协助。"
CHECKIN_NEED_CODE = "请在“{word}”后面加上现场公布的 6 位签到码，例如“{word} 123456”。"
CHECKIN_BAD_SCENE = "无法识别这个二维码，请回复“签到 签到码”签到。"
CHECKOUT_NOT_IN = "您还没有签到【{id}】{title}，不能签退。"
CHECKOUT_NOT_STARTED = "【{id}】{title}{when} 开始，开始后才能签退。"
CHECKOUT_OVER = "【{id}】{title}已于 {end} 结束，未签退的按结束时间计时，无需再签退。"
CHECKIN_CODE = (
    "【{id}】{title}\n签到码：{code}\n签到时间：{window}\n二维码：{url}\n"
    "请在现场公布：扫码或回复“签到 {code}”签到；离开时再扫一次或回复“签退 {code}”签退。"
)

CLOSE_OK = "【{id}】{title}已结束。\n已为 {count} 人记录服务时长，合计 {total} 小时（已签退的按实际时间，未签退的按计划时长）。{absent}"
CLOSE_ABSENT = "\n报名但未签到：{absent} 人。"
CLOSE_ALREADY = "【{id}】{title}已经结束，时长已记录，不会重复记录。"
CLOSE_NOT_STARTED = "【{id}】{title}{when} 才开始，开始后才能结束。"
CLOSE_CANCELLED = "【{id}】{title}已停办，无需结束。"
CREDITED = "【{id}】{title}已结束，为您记录服务时长 {hours} 小时。感谢参与！\n有误请回复“纠错 {id} 说明”。"
CREDITED_NONE = "【{id}】{title}已结束。您的签到到签退不足半小时，本次未记入服务时长。\n有误请回复“纠错 {id} 说明”。"
AUTO_CLOSED = (
    "【{id}】{title}结束后未手动结束，系统已自动结束：为 {count} 人记录时长，合计 {total} 小时"
    "（未签退的按结束时间计），报名但未签到 {absent} 人。有误可在志愿者纠错后处理。"
)

STAR = "★"
HOURS_UNREGISTERED = "您还没有登记。回复“注册”登记后，参加活动签到即可累计服务时长。"
HOURS_HEADER = "{name}（志愿者编号 {volunteer_no}）的服务时长"
HOURS_YEAR = "{year}年：{hours} 小时"
HOURS_TOTAL = "累计：{hours} 小时"
HOURS_STARS = "星级：{stars}"
HOURS_NO_STARS = "星级：暂无（累计满 {next} 小时为一星）"
HOURS_NEXT = "再服务 {hours} 小时可达 {stars}"
HOURS_TOP = "已达最高星级，感谢您长期的奉献！"
HOURS_PARTY = "党员年度目标 {target} 小时，今年已完成 {done} 小时（{percent}%）"
HOURS_PARTY_DONE = "党员年度目标 {target} 小时，今年已完成 {done} 小时，已达标"
HOURS_RECENT = "最近的活动："
HOURS_RECENT_LINE = "【{id}】{date} {title} {hours} 小时"
HOURS_EMPTY = "还没有服务时长记录。回复“活动”看看最近的活动吧。"
HOURS_FOOTER = "时长有误请回复“纠错 活动编号 说明”；回复“证明”获取服务记录证明。"

CORRECTION_BAD_HOURS = "小时数应在 0 到 {max} 之间，以 0.5 为单位。"
DISPUTE_REGISTER_FIRST = "请先回复“注册”登记个人信息。"
DISPUTE_NEED_TEXT = "请说明哪里有误，例如“纠错 {id} 我9点签到11点签退，只记了1小时”。"
DISPUTE_USAGE = "时长有误时，请回复“纠错 活动编号 说明”，例如“纠错 3 我全程参加但没有记录”。"
DISPUTE_NOT_CLOSED = "【{id}】{title}还没有结束，结束后才会记录时长。"
DISPUTE_ALREADY_OPEN = "您对【{id}】的纠错（#{dispute_id}）正在处理中，请耐心等待。"
DISPUTE_OPENED = "已收到您对【{id}】{title}的纠错（#{dispute_id}），目前记录 {hours} 小时。工作人员处理后会通知您。"
DISPUTE_TO_ORGANIZER = (
    "新的时长纠错 #{dispute_id}：{name}（{volunteer_no}）对【{id}】{title}（记录 {hours} 小时）：{text}\n"
    "回复“纠错”查看，“纠错 处理 {dispute_id} 小时数 说明”处理。"
)
DISPUTE_MINE_HEADER = "您正在处理中的纠错："
DISPUTE_MINE_LINE = "#{dispute_id}【{id}】{title}：{text}"
DISPUTE_LIST_EMPTY = "目前没有待处理的纠错。"
DISPUTE_LIST_HEADER = "待处理的纠错（共 {count} 条）："
DISPUTE_LIST_LINE = "#{dispute_id}【{id}】{title}｜{name}（{volunteer_no}）记录 {hours} 小时：{text}"
DISPUTE_LIST_MORE = "……还有 {more} 条，处理后再查看。"
DISPUTE_LIST_FOOTER = (
    "处理：回复“纠错 处理 编号 小时数 说明”，小时数是该活动应记的总时长，"
    "例如“纠错 处理 {example} 2 核对签到表，全程参加”。"
)
DISPUTE_RESOLVE_USAGE = "格式：纠错 处理 编号 小时数 说明，例如“纠错 处理 5 2 核对签到表，全程参加”。小时数是该活动应记的总时长。"
DISPUTE_NOT_FOUND = "没有编号为 #{dispute_id} 的纠错。"
DISPUTE_ALREADY_RESOLVED = "纠错 #{dispute_id} 已经处理过了。"
DISPUTE_RESOLVED_REPLY = "纠错 #{dispute_id} 已处理：{name} 在【{id}】{title}的时长 {before} → {after} 小时，已通知本人。"
DISPUTE_RESOLVED_CHANGED = "您对【{id}】{title}的时长纠错已处理：{before} 小时 → {after} 小时。说明：{reason}"
DISPUTE_RESOLVED_SAME = "您对【{id}】{title}的时长纠错已处理：核实后维持 {after} 小时。说明：{reason}"

CERTIFICATE_NONE = "您还没有可以证明的服务时长，参加活动签到后即可累计。"
CERTIFICATE_LINK = "您的志愿服务记录证明（可打印，链接 {days} 天内有效）：\n{url}\n证明上有验证码，任何人都可以在线查验真伪。"

# The printable certificate and the verification page (bot/templates/records/).
CERTIFICATE_PAGE = {
    "title": "志愿服务记录证明",
    "statement": (
        "兹证明 {name}（志愿者编号：{volunteer_no}）于 {first} 至 {last} 期间参加志愿服务活动 {count} 次，"
        "累计志愿服务时长 {total} 小时。具体记录如下："
    ),
    "col_no": "序号",
    "col_title": "活动名称",
    "col_date": "日期",
    "col_place": "地点",
    "col_content": "服务内容",
    "col_hours": "时长",
    "col_hours_unit": "（小时）",
    "col_body": "组织单位",
    "col_person": "负责人",
    "total": "合计",
    "closing": "特此证明。",
    "issuer": "记录单位：{org}",
    "seal": "（盖章）",
    "date": "出具日期：{date}",
    "code": "验证码：{code}",
    "verify_hint": "扫描二维码或访问以下地址，可查验本证明的真实性：",
    "basis": "本证明依据《志愿服务记录与证明出具办法》出具，志愿者以志愿者编号标识。",
    "print": "打印 / 存为 PDF",
    "page_footer": "{name}（{volunteer_no}）志愿服务记录证明　第 {page} 页 / 共 {pages} 页",
    "invalid_title": "链接无效",
    "invalid": "证明链接无效或已过期，请在公众号回复“证明”重新获取。",
}
VERIFY_PAGE = {
    "title": "志愿服务记录证明查验",
    "valid": "本证明真实有效",
    "invalid": "无法核实：验证码不正确，或证明已被改动。",
    "changed": "注意：该志愿者的记录在出具后有更正，当前累计 {current} 小时，请以本页为准。",
    "holder": "持证人",
    "volunteer_no": "志愿者编号",
    "total": "证明时长",
    "count": "活动次数",
    "issued": "出具日期",
    "issuer": "出具单位",
    "erased": "（本人已注销）",
    "activities": "证明所列活动",
    "hours_value": "{hours} 小时",
}
DATE_CN = "{year}年{month}月{day}日"

# Exports: the header of `export hours` is fixed by SPEC §7.
EXPORT_HOURS_HEADER = tuple("志愿者编号,姓名,社区,党员,在职单位,活动编号,活动,日期,地点,服务内容,时长,组织单位,负责人".split(","))
EXPORT_EMPLOYERS_HEADER = ("在职单位", "报到党员数", "参加服务人数", "服务人次", "服务时长")
EXPORT_YES = "是"
EXPORT_NO = "否"

# ── reminders and notices (确认 / 请假 / 停办, pushed notices) ──────────────────
REMINDER = "活动提醒：【{id}】{title}\n时间：{when}\n地点：{place}\n能来请回复“确认 {id}”；来不了请回复“请假 {id}”，名额会让给候补的居民。"
# One template field (at most 20 characters).
REMINDER_TEMPLATE_HINT = "回复“确认 {id}”或“请假 {id}”"
NOTICE_TEMPLATE_TITLE = "志愿服务通知"
NOTICE_KIND_NAMES = {
    "reminder": "活动提醒",
    "promotion": "候补转为正式报名",
    "change": "活动变更",
    "cancellation": "活动停办",
    "credited": "服务时长已记录",
    "auto_closed": "活动已自动结束",
    "dispute": "时长纠错待处理",
    "dispute_resolved": "时长纠错已处理",
    "broadcast": "社区通知",
    "notify": "活动通知",
}
ATTEND_CONFIRMED = "已确认参加【{id}】{title}\n时间：{when}\n地点：{place}\n到时见！如有变化请回复“请假 {id}”。"
ATTEND_WAITLISTED = "您在活动【{id}】的候补名单中，当前第{position}位，有名额时会通知您。"
ATTEND_NONE = "您没有活动【{id}】的名额。回复“我的报名”查看已报名的活动。"
ATTEND_NOT_OPEN = "活动【{id}】{status}。"
ATTEND_ENDED = "活动【{id}】已结束。"
LEAVE_OK = "已为您请假：活动【{id}】{title}的名额已让给候补的居民。感谢告知！"
LEAVE_OK_NO_WAITLIST = "已为您请假：活动【{id}】{title}的名额已释放，其他居民可以报名。感谢告知！"
LEAVE_WAITLIST_OK = "已取消活动【{id}】{title}的候补。"
CHANGE_WHAT = {"time": "时间", "place": "地点"}
CHANGE_JOIN = "和"
CHANGE_SUMMARY = "{what}有变更"
CHANGE_NOTICE = "活动变更：【{id}】{title}的{what}有变化。\n时间：{when}\n地点：{place}\n不能参加请回复“取消 {id}”。"
CHANGE_NOT_OPEN = "活动【{id}】{status}，不能修改。"
CANCEL_SUMMARY = "活动停办"
CANCEL_NOTICE = "活动停办：【{id}】{title}（{when}）停办了。\n原因：{reason}\n给您带来不便，敬请谅解。"
STOP_NEED_REASON = "请写明停办原因，例如“停办 {id} 天气原因”。"
STOP_REASON_TOO_LONG = "停办原因请控制在 {max} 字以内。"
STOP_OK = "已停办活动【{id}】{title}。\n原因：{reason}\n将通知 {count} 位报名和候补的居民。"
STOP_ALREADY = "活动【{id}】已经停办了。"
STOP_ENDED = "活动【{id}】已结束，不能停办。"


# ── words the bot reads ────────────────────────────────────────────────────
# What people type that the code compares against. The office may add words here;
# each is matched whole, after full-width letters and digits are folded to half-width.
KEEP_WORDS = ("不变", "同上")  # keep a value when editing the profile
YES_WORDS = ("是", "是的", "党员", "y", "yes")  # 是否党员?
NO_WORDS = ("否", "不是", "no", "n", "群众")
CONFIRM_WORD = "确认"  # the last step of 发布 and 群发
ERASE_CONFIRM_WORD = "确认注销"  # 注销 asks for this, whole
COMMUNITY_SUFFIX = "社区"  # 南乾元 names 南乾元社区
SUBDISTRICT_WORDS = ("全街道", "街道", "全部")  # in 发布: the whole subdistrict rather than one community
BROADCAST_PARTY_WORDS = ("党员", "在职党员")  # 群发 @党员
BROADCAST_ALL_WORDS = ("全体", "所有人", "全街道", "全部")  # 群发 @全体
CAPACITY_UNITS = ("人", "名", "位", "个")  # 名额 in 发布: `20人`
HOURS_UNITS = ("小时", "个小时", "h", "H")  # 时长 in 发布 and 纠错 处理: `2小时`
DISPUTE_RESOLVE_WORD = "处理"  # 纠错 处理 K 小时数 说明
ROSTER_PAGE_PREFIX = "第"  # 名单 3 第2页
COMMUNITY_NAME_EMPTY = "社区名称不能为空"


# ── family members: 添加家人, 我的家人, 删除家人, 报名 N 小明 (SPEC §11) ───────────
FAMILY_ASK_NAME = "添加家人（为不用微信的孩子、老人代报名；随时回复“退出”可中止）。\n请输入家人的姓名："
FAMILY_BAD_NAME = "姓名应为 2–20 个字，请重新输入："
FAMILY_DUPLICATE_NAME = "您已添加过“{name}”。同名家人请加以区分，例如“{name}2”："
FAMILY_ASK_RELATION = "{name}是您的？回复序号：\n1. 子女\n2. 父母\n3. 配偶\n4. 其他"
FAMILY_BAD_RELATION = "请回复序号 1–4：\n1. 子女\n2. 父母\n3. 配偶\n4. 其他"
FAMILY_ASK_YEAR = "请输入{name}的出生年份，例如 2016："
FAMILY_BAD_YEAR = "出生年份应为 4 位数字，例如 2016，请重新输入："
FAMILY_ASK_CONSENT_MINOR = (
    "{name}未满 18 岁。请您以监护人身份确认：同意为{name}报名志愿服务活动，"
    "并同意本平台记录其姓名、出生年份、签到和服务时长。\n同意请回复“同意”，不同意请回复“不同意”。"
)
FAMILY_ASK_CONSENT_ADULT = (
    "请确认：{name}本人已同意由您代为报名志愿服务活动，"
    "并同意本平台记录其姓名、出生年份、签到和服务时长。\n已征得同意请回复“同意”，否则回复“不同意”。"
)
FAMILY_CONSENT_AGAIN = "请回复“同意”或“不同意”（回复“退出”放弃添加）："
FAMILY_NO_CONSENT = "未获同意，没有添加{name}，也没有保存其任何信息。"
FAMILY_ADDED = (
    "已添加家人：{name}（{relation}，{year}年生）\n志愿者编号：{volunteer_no}\n"
    "报名时回复“报名 编号 {name}”，或回复“报名 编号”再选择为谁报名。回复“我的家人”查看全部。"
)
FAMILY_REGISTER_FIRST = "添加家人前需要先登记您本人的信息。请回复“注册”。"
FAMILY_TOO_MANY = "最多可添加 {limit} 位家人。如需添加，请先回复“删除家人 序号”删除一位。"
FAMILY_NONE = "您还没有添加家人。回复“添加家人”为不用微信的孩子、老人代报名。"
FAMILY_LIST_HEADER = "我的家人（报名时可写“报名 编号 姓名”）："
FAMILY_LIST_LINE = "{number}. {name}（{relation}，{year}年生）编号 {volunteer_no}"
FAMILY_LIST_FOOTER = "回复“删除家人 序号”删除，“时长 姓名”查看家人的服务时长。"
FAMILY_NEED_NUMBER = "请在“删除家人”后面加上序号，例如“删除家人 1”。回复“我的家人”查看序号。"
FAMILY_NO_SUCH_NUMBER = "没有序号为 {number} 的家人（您共添加了 {count} 位）。回复“我的家人”查看序号。"
FAMILY_REMOVED = "已删除家人{name}的信息{cancelled}。其服务时长只保留匿名统计。"
FAMILY_DISPLAY = "{name}（代报：{proxy}）"
FAMILY_RELATIONS = {"child": "子女", "parent": "父母", "spouse": "配偶", "other": "其他"}
FAMILY_NOT_FOUND = "没有找到名为“{name}”的家人。回复“我的家人”查看。"
FAMILY_CONSENT_YES = ("同意", "是", "是的", "好", "可以", "确认")
FAMILY_CONSENT_NO = ("不同意", "否", "不", "不是", "不可以")
FAMILY_YEAR_SUFFIX = "年"
FAMILY_RELATION_WORDS = {
    "child": ("子女", "孩子", "儿子", "女儿", "孙子", "孙女", "外孙", "外孙女"),
    "parent": ("父母", "父亲", "母亲", "爸爸", "妈妈", "爷爷", "奶奶", "姥姥", "姥爷", "外公", "外婆"),
    "spouse": ("配偶", "丈夫", "妻子", "老伴", "爱人"),
    "other": ("其他", "其它", "亲戚"),
}
FAMILY_SELF_WORDS = ("本人", "我", "自己", "我自己")
FAMILY_ALL_WORDS = ("全部", "都", "全家", "所有人", "都报")
SIGNUP_FOR_WHOM = "为谁报名活动【{id}】{title}？回复序号（可多选，如“1 2”）：\n{choices}\n回复“退出”放弃。"
SIGNUP_FOR_WHOM_AGAIN = "请回复序号，例如“1”或“1 2”：\n{choices}"
SIGNUP_FOR_ALL = "全部"
SIGNUP_SELF = "本人"
AGE_REFUSED = "{name} {age} 岁，本活动限 {limit}，不能报名。"
AGE_ADULT_REFUSED = "本活动限 {limit}（面向未成年人），{name}不能报名。可为符合年龄的家人报名。"
AGE_RANGE = "{min}–{max} 岁"
AGE_MIN = "{min} 岁以上"
AGE_MAX = "{max} 岁以下"
FAMILY_SIGNUP_HEADER = "【{id}】{title}\n时间：{when}\n地点：{place}"
FAMILY_SIGNUP_OK = "· {who}：报名成功"
FAMILY_SIGNUP_WAITING = "· {who}：名额已满，候补第{position}位"
FAMILY_SIGNUP_REFUSED = "· {who}：{reason}"
FAMILY_SIGNUP_FOOTER = "不能来请回复“取消 {id} 姓名”（本人回复“取消 {id}”）。"
FAMILY_FOR = "（家人{name}）{text}"
MY_SIGNUPS_MEMBER = "{line}——{name}"
NOTICE_ABOUT_MEMBER = "【家人{name}】{text}"
NOTICE_ABOUT_MEMBER_TITLE = "{name}：{title}"

# ── free text (SPEC §9): questions back, refusals, answers riding along ─────
# What each request is called inside a question: 您是想{action}…吗？
FREE_ACTIONS = {"报名": "报名", "取消": "取消报名", "请假": "请假（让出名额）", "确认": "确认参加", "签到": "签到", "签退": "签退"}
FREE_ASK = "您是想{action}【{id}】{title}（{when}）吗？回复“是”确认，回复“不是”作罢。"
FREE_ASK_CODE = "您是想用签到码 {code} {action}吗？回复“是”确认，回复“不是”作罢。"
FREE_CHOOSE = "您想{action}哪一个？请回复序号：\n{options}\n都不是请回复“都不是”。"
FREE_CHOOSE_LINE = "{n}. 【{id}】{when} {title}"
FREE_CHOOSE_MORE = "（符合的活动较多，只列出前 {shown} 个；也可以说得具体些，比如日期或名称）"
FREE_CHOOSE_AGAIN = "请回复序号 1–{count}，都不是请回复“都不是”，回复“退出”结束。\n{question}"
FREE_ASK_AGAIN = "请回复“是”或“不是”。\n{question}"
FREE_DROPPED = "好的，没有为您{action}。回复“活动”查看近期活动。"
FREE_NOT_FOUND = "没有找到您说的活动。"
FREE_PROXY = (
    "为家人报名：先回复“添加家人”登记家人，再回复“报名 编号 家人姓名”，例如“报名 3 小明”。"
    "您自己报名的话，说“我报名”加活动名称就行。"
)
FREE_NOTHING_OPEN = "近期没有可报名的活动，请留意通知。"
FREE_NONE_HELD = "您目前没有报名的活动，无需{action}。"
FREE_NOT_HELD = "您没有报名【{id}】{title}，无需{action}。"
FREE_NOT_HELD_THESE = "您报名的活动里没有您说的这个。回复“我的报名”查看已报名的活动。"
FREE_PAST = "【{id}】{title}已于 {when} 开始，不能再{action}了。"
FREE_CANCELLED = "【{id}】{title}已停办。"
FREE_NEAR = "近期可以报名的有：\n{lines}\n回复“活动 编号”看详情，“报名 编号”报名。"
FREE_NEAR_LINE = "【{id}】{when} {title}"
FREE_LIST_HEADER = "为您找到 {count} 个活动："
FREE_LIST_MORE = "接着为您列出："
FREE_GREETING = "您好！我是社区志愿服务助手。\n回复“活动”看看近期活动；直接说“报名后天的打扫卫生”“我的时长”也行。回复“帮助”查看更多。"
FREE_THANKS = "不客气！有需要随时说。"
# Answers to a question riding along with a request (`…我去，在哪儿集合？`).
FREE_ANSWER_PLACE = "地点：{place}"
FREE_ANSWER_TIME = "时间：{when} – {end}"
FREE_ANSWER_LENGTH = "服务时长：{hours} 小时"
FREE_ANSWER_LEFT = "名额：{places}"
FREE_ANSWER_CONTENT = "内容：{content}"

# ── voice messages (issue 14) ──────────────────────────────────────────────
VOICE_HEARD = "（语音识别为“{text}”）"
VOICE_UNRECOGNISED = "没能识别这条语音。请对着手机慢慢说，比如“活动”“报名后天的打扫卫生”；或直接输入文字，比如“活动”。"
