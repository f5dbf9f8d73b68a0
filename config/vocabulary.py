"""The words the bot reads in residents' free text (SPEC §9), kept here so the office can extend them.

Every entry is a plain word or phrase in Simplified Chinese (traditional characters,
full-width forms and Chinese numerals are folded before these are looked up). Add a
word to the right tuple and restart the app: no code changes. Activities are also
found by the words of their own title, content, place and community, so a new
activity needs no entry here; add a word only when residents say something the
activity's own text does not contain (`剃头` for 理发, `节目` for 文艺汇演).

Longer entries win over shorter ones where they overlap (`打扫卫生` before `卫生`).
"""

# ── how people talk in the quarter ─────────────────────────────────────────
# Colloquial and Henan words → the standard word the rest of the reading uses.
COLLOQUIAL = {
    "俺们": "我们", "俺": "我", "咱们": "我们", "咱": "我", "恁": "你", "额滴": "我的", "咋弄": "怎么办", "咋整": "怎么办",
    "咋": "怎么", "弄啥": "做什么", "干嘛": "做什么", "干么": "做什么", "干啥": "做什么", "为啥": "为什么",
    "啥时候": "什么时候", "多会儿": "什么时候", "几时": "什么时候", "啥": "什么", "今儿个": "今天", "今个儿": "今天",
    "今个": "今天", "今儿": "今天", "明儿个": "明天", "明个儿": "明天", "明个": "明天", "明儿": "明天", "赶明儿": "明天",
    "后儿个": "后天", "后个": "后天", "后儿": "后天", "大后儿": "大后天", "夜儿个": "昨天", "夜个": "昨天", "昨儿": "昨天",
    "前晌": "上午", "头午": "上午", "上半晌": "上午", "清早": "早上", "一大早": "早上", "大清早": "早上", "晌午头": "中午",
    "晌午": "中午", "后晌": "下午", "下半晌": "下午", "过晌": "下午", "下晌": "下午", "黑地": "晚上", "黑价": "晚上",
    "擦黑": "晚上", "晚黑": "晚上", "黑了": "晚上", "礼拜天": "周日", "礼拜日": "周日", "星期天": "周日", "星期日": "周日",
    "周天": "周日", "钟点": "小时", "钟头": "小时", "瞅瞅": "看看", "瞅一眼": "看看", "瞅": "看", "瞧瞧": "看看", "瞧": "看",
    "木有": "没有", "冇": "没有", "没得": "没有", "搁哪": "在哪", "哪旮旯": "哪", "哪块": "哪", "哪嘎达": "哪",
    "一堆儿": "一起", "中不中": "行不行", "管不管": "行不行", "不中": "不行", "不沾": "不行", "老些": "很多", "娃们": "孩子",
    "小娃": "孩子", "妮儿": "孩子", "好几": "好多", "夜儿": "昨天", "清起": "早上", "清早起": "早上", "傍黑": "晚上", "黑喽": "晚上",
    "中不?": "行不?", "这个礼拜": "这礼拜", "这个星期": "这星期", "这个周": "这周", "这个月": "这月",
    "晚半晌": "傍晚", "咋着": "怎么样", "白报了": "别报了", "白给我报": "别给我报", "白去了": "不去了", "甭": "不用",
}

# Words that carry nothing: voice fillers, particles, polite padding. Removed before reading.
FILLERS = (
    "那个那个", "就是说", "然后呢", "怎么说呢", "我跟你说", "麻烦你", "麻烦您", "麻烦", "请问", "同志", "小伙子", "姑娘",
    "劳驾你", "劳驾您", "劳驾",
    "那个", "这个", "就是", "然后", "反正", "的话", "一下子", "嗯", "啊", "呀", "吧", "呢", "嘛", "啦", "哈", "哦", "噢", "呗",
    "嘞", "哩", "咧", "哇", "哎", "唉", "诶", "欸", "喂", "呃", "呐", "咦", "哟",
)

# Words that are neither a request nor an activity ("the", "me", "also"…): never left
# over as unexplained. Single characters only matter when they stand alone.
FUNCTION_WORDS = (
    "我们", "我的", "你们", "他们", "自己", "老伴", "家里", "一起", "一块", "一个", "那边", "这边",
    "的", "地", "得", "了", "着", "过", "我", "你", "他", "她", "也", "都", "还", "就", "再", "又", "给",
    "把", "被", "让", "叫", "跟", "和", "与", "及", "在", "是", "有", "个", "位", "下", "上", "去", "来",
    "什么", "哪个", "哪些", "哪里", "哪儿", "地方", "怎么", "多少", "为什么", "谁", "所有", "全部", "全都", "东西",
    "列表", "清单", "信息", "情况", "一些", "别的", "其他",
    "要", "想", "能", "会", "可", "可以", "得", "帮", "替", "为", "用", "请", "一", "点", "些", "吗", "么",
    "那", "这", "哪", "呢", "好", "行", "对", "谢", "多", "很", "挺", "太", "最", "先", "后", "时", "候",
    "场", "次", "回", "趟", "那天", "那次", "那场", "活动", "社区", "街道", "志愿", "志愿者",
    "义务", "服务", "参与", "事", "名", "做", "搞", "弄", "整", "办", "算", "加", "带", "报",
    "听", "听听", "学", "学学", "帮忙", "帮着", "帮帮", "搭把手", "搭个手", "帮把手", "打下手",
    "干活", "出力", "当老师", "当助教", "当帮手", "开始", "结束", "排队", "一下", "说", "问", "陪",
    "那天", "到时候", "家里", "今年", "现在", "已经", "还是", "或者", "要是", "如果", "能不能", "行不行",
    "改天", "再去", "这次", "下次", "这回", "下回", "以后", "活", "活儿", "哪天都行", "都行", "随便",
    # Words that contain a request word but are not one (`活动室在哪` asks for a room).
    "活动室", "活动中心", "活动站", "报名表", "报名费", "报名处", "报名点",
    # One's place in line is no activity (`太极拳那个候补给我去掉`).
    "候补", "候补名单",
    # Asking to be shown or told, and what one must (`发我看看`, `要会理发才行吗`).
    "发我", "发给我", "发一下", "发过来", "告诉我", "给我看", "让我看", "才", "才行", "才能", "需要", "必须",
)

# Why one cannot come: said beside a request (`身体不舒服明天讲座去不了了`), never naming an activity.
REASONS = (
    "身体", "腿疼", "腰疼", "头疼", "头晕", "感冒", "发烧", "咳嗽", "血压高", "上班", "加班", "出差", "值班", "忙",
    "接孩子", "看孩子", "走亲戚", "家里来人", "闺女", "儿子", "回来", "出门", "出远门", "单位", "公司", "厂里", "复查",
    "旅游", "打针", "输液", "挂水", "拿药", "喝喜酒", "吃喜酒", "吃酒席", "随礼",
)

# ── what people call the kinds of activity ─────────────────────────────────
# Keys are the kinds organizers choose (cleanup, lecture, culture, visit, training).
KIND_WORDS = {
    "cleanup": (
        "清扫", "打扫卫生", "打扫", "扫卫生", "搞卫生", "大扫除", "卫生", "扫地", "扫街", "保洁", "清洁",
        "捡垃圾", "拾垃圾", "清理", "扫雪", "除草", "义务劳动", "劳动", "扫楼道", "扫大街", "扫马路", "扫院子",
        "捡拾垃圾", "清运垃圾", "打扫院子", "拾掇卫生", "拾掇院子",
    ),
    "lecture": ("讲座", "讲课", "上课", "听课", "讲堂", "课堂", "宣讲", "报告会", "知识课", "课"),
    "culture": ("文艺活动", "文化活动", "文体活动"),
    "visit": ("慰问", "看望", "探望", "走访", "看老人", "陪老人"),
    "training": ("培训", "训练", "演练", "学习班", "培训班"),
}
# Kinds close enough that a resident may call one by the other's word (`消防课` for a training).
KIND_NEAR = {
    "lecture": ("training",),
    "training": ("lecture",),
}

# ── topics: what residents say → words searched in activities' own text ─────
# A resident saying any word of a topic finds the activities whose title, content or
# place contains that word (best) or another word of the topic (or the topic itself).
TOPIC_WORDS = {
    "理发": ("理发", "剪头发", "剪头", "剃头", "推头", "铰头", "理个发", "剪发", "头发"),
    "诈骗": ("防诈骗", "反诈骗", "反诈", "防诈", "防骗", "诈骗", "骗子", "骗钱", "上当", "电诈"),
    "儿童": ("儿童", "带娃", "孩子", "小孩", "小朋友", "孙子", "孙女", "外孙", "娃", "亲子", "育儿"),
    "健康": ("健康", "养生", "血压", "血糖", "保健", "医生"),
    "看病": ("义诊", "体检", "量血压", "测血糖", "看病"),
    "法治": ("法治", "普法", "法律", "打官司", "民法典", "维权"),
    "敬老": ("敬老院", "养老院", "敬老", "慰问老人"),
    "老人": ("老人", "独居老人", "空巢老人", "看老人", "陪老人", "老头老太", "老大爷", "老奶奶"),
    "礼仪": ("礼仪", "礼貌", "文明"),
    "植树": ("植树", "种树", "栽树", "绿化"),
    "演出": (
        "演出", "节目", "表演", "汇演", "文艺", "晚会", "联欢", "舞台", "唱歌", "跳舞", "广场舞", "合唱",
    ),
    # Opera is a show, but a show is not always opera (`唱戏的` is not every 表演节目).
    "戏曲": ("戏曲", "唱戏", "听戏", "看戏", "豫剧", "曲剧", "越调", "票友"),
    "读书": ("读书会", "读书", "看书", "绘本", "讲故事"),
    "手工": ("手工", "剪纸", "剪窗花", "窗花", "折纸"),
    # A task of its own within its kind: `扫雪的` is not every cleanup.
    "扫雪": ("扫雪", "铲雪", "除雪", "铲冰", "积雪", "融雪"),
    "春联": ("春联", "对联", "对子"),
    "饺子": ("饺子", "包饺子", "水饺", "扁食"),
    "跌倒": ("跌倒", "摔倒", "摔跤", "跌跤", "防摔", "摔跟头"),
    "煤气": ("煤气", "燃气", "天然气", "一氧化碳", "煤炉"),
    "书法": ("书法", "毛笔字", "练字", "写毛笔"),
    "集市": ("集市", "市集", "跳蚤市场", "旧货", "二手", "赶集", "摆摊", "闲置"),
    "河边": ("河边", "沿河", "河道", "河岸", "河沿", "沿岸", "岸边", "巡河", "护河"),
    # Like 扫雪, a task of its own: `扫树叶的` is not every cleanup.
    "落叶": ("落叶", "树叶", "叶子", "扫叶子"),
    "登高": ("登高", "爬山", "登山"),
}

# ── what each request sounds like ──────────────────────────────────────────
# Signing up: explicit words. "我去", "参加" (ATTEND) sign up, or confirm a place already held.
SIGNUP = (
    "报名", "报个名", "报上名", "报一个", "报上", "报下", "给我报", "帮我报", "替我报", "我报", "要报", "想报",
    "报我", "算上我", "算我一个", "算我", "算上", "加上我", "加我", "带上我", "占个位", "占个名额", "留个名额",
    "留个位", "给我留", "有我一个", "算一个", "预约", "约一个", "登记参加", "报名参加", "我也报", "报个",
    "登记上", "登个记", "给我记上", "记上我", "记我一个", "记个名", "写上我", "把我写上", "添上我", "加个名", "挂个名",
    "报一下", "报一下名", "把我加上", "给我加上", "加上", "添上", "把我添上", "名字添上", "占个座", "占个座位",
    "占个地方", "凑个人头", "凑个人", "掺和", "掺一个", "自己报", "我自己报", "安排上", "给我安排", "把我安排",
    "添个名", "添个名字", "添上名", "捎上", "捎上我", "把我捎上", "捎带上", "给我排上", "把我排上", "排上我", "写上名",
    "写个名", "记上名", "给我登上", "把我登上", "登上我", "掺一脚", "插一脚", "给我登记",
    "挂个号", "挂上号", "给我挂上", "把我挂上",
)
ATTEND = (
    "我参加", "要参加", "想参加", "参加", "我去", "我要去", "我想去", "我也去", "也去", "想去", "要去",
    "去一个", "我来", "我也来", "凑个数", "凑个热闹", "凑热闹", "带我", "去参加", "能参加", "能去吗", "我也想",
    "想听", "要听", "去听", "想学", "要学", "我也参加", "也参加", "我也要参加", "我也想参加", "也要参加",
    "也想参加", "愿意去", "愿意参加", "我学学", "去学学", "学一学", "我也学学", "听一个", "听一场", "去听一个",
    "跟着去", "我也跟着", "出把力", "出份力", "出点力", "我听听", "我也听听",
    "我也上", "长长见识", "见见世面",
)
CANCEL = (
    "取消报名", "报名取消", "取消", "不去了", "不去啦", "不参加了", "不参加", "不报了", "不想报", "不想去了",
    "不想去", "不想参加", "退掉", "退了", "退报", "退出", "撤了", "撤掉", "撤回", "撤销", "删掉", "删了",
    "去掉", "划掉", "不要了", "别给我报", "别报了", "报错了", "不去", "算了", "不排了", "不排队了", "不等了",
    "不弄了", "不搞了", "不整了", "不干了", "不用报了", "不用去了", "拉倒",
    "勾掉", "勾了", "销了", "销掉", "拿掉", "拿下来", "划了", "删除", "撤下来", "不算我了", "别算我了", "把我去掉",
    "不候了", "不候着了", "不等着了", "不排着了",
    "抹了", "抹掉", "抹去", "不听了", "不掺和了", "不掺和", "不掺了", "作废", "划拉掉", "划拉了", "退喽", "退了吧", "不凑热闹了",
    "不凑了", "不跟着去了", "不跟着了", "名字去掉", "名字删了",
)
# Giving a place up: "I can't come" (the reply to a reminder).
LEAVE = (
    "请假", "请个假", "来不了", "去不了", "来不成", "去不成", "参加不了", "到不了", "赶不上", "赶不到",
    "赶不过去", "过不去", "走不开", "脱不开身", "不能来", "不能去", "不能参加", "去不上", "来不及",
    "生病", "病了", "不舒服", "住院", "回老家", "没空", "没时间", "有事", "让给别人", "让给别的", "让出来", "让出名额",
    "请一下假", "请下假", "请天假", "告假", "告个假", "去不中", "来不中",
    "顾不上", "抽不出空", "抽不出时间", "抽不开身", "腾不出空", "去不得", "来不得", "没法去", "没法来", "没法参加", "没办法去",
    "请事假", "请个事假", "事假",
)
CONFIRM = (
    "确认参加", "确认", "能来", "能去", "会来", "会去", "准时到", "准时去", "准时参加", "一定到", "一定去",
    "一定来", "准到", "肯定去", "肯定到", "肯定来", "按时到", "按时去", "照常参加", "照常去", "不见不散",
    "到时候去", "到时见", "到时候见", "放心", "误不了", "耽误不了", "错不了", "保准到", "保证到", "一准到", "一准去",
    "保证去", "保证来", "保证参加", "准点到", "准点去", "按点到", "按点去",
    "到点就去", "到点就到", "到点准到", "铁定去", "铁定到", "铁定参加", "一准儿到", "一准儿去", "说话算话", "准去", "准到",
    "指定到", "指定去", "指定来", "准保去", "准保到", "准保来",
)
MINE = (
    "我的报名", "报了什么", "报了哪", "报了几个", "我报的", "我报名的", "报名的活动", "报上了没", "报上没",
    "我报上的", "报上的活动", "我报了的", "我参加了哪", "到第几", "第几位", "第几名",
    "报上了吗", "报成了", "报名了没", "报名了吗", "报名成功了", "报好了没", "我的活动", "我参加的",
    "参加了哪", "报过", "排上了", "候补第几", "排第几", "都报了", "报名了哪", "报名了什么", "报名了几个", "报了哪些",
    "排到第几", "候补排", "排到我", "在候补", "还在候补", "候补上了", "排上没", "报上名的", "报过名的", "报了名的",
    "排到哪", "排在哪", "排哪了", "我名下", "我那几个活动", "我那些活动", "我的那几个",
    "报上哪", "报上了哪", "我的安排", "我有什么安排", "我都有什么安排", "我最近都有什么安排", "我最近有什么安排", "我手里",
)
HOURS = (
    "服务时间", "志愿时间", "志愿时长", "够了吗", "够没够", "时间够", "多少个小时",
    "我的时长", "我的记录", "服务时长", "时长", "服务了多少", "服务了多久", "干了多少", "干了多久", "干够",
    "做了多少", "攒了", "累计", "星级", "几颗星", "几星", "积分", "够不够", "够了没", "年度目标", "多少小时",
    "几个小时了", "小时够", "记录", "党员任务", "完成任务", "任务完成", "一星", "星了", "几星级",
    "时数", "几个钟了", "多少个钟", "几个钟头",
)
# Changing one's profile (`我想改一下我的电话号码`, `资料填错了要改`): a change near a part of it.
PROFILE_CHANGES = ("修改", "更改", "更新", "改", "换", "变", "填错", "写错", "弄错", "错了", "搬到", "搬去", "搬来")
# Moving house, said with the community moved to (`搬到杜岭街了`, `我不住北下街了`): the profile changes.
MOVES = ("搬到", "搬去", "搬来", "搬家到", "住到", "不住", "不在")
PROFILE_FIELDS = ("电话", "手机", "号码", "名字", "姓名", "社区", "信息", "资料", "住址", "工作单位", "单位")
# Asking why (`票友会为啥取消了`): with a request word after it, a question about the activity.
WHY_WORDS = ("为什么", "为何", "怎么")
# Words of ability: a question about joining with one of them asks what there is (`还有什么活动能参加`).
ABILITY = ("能", "可以", "可", "能够")
# Asking how much one has done (`今年干了多长时间志愿`): a doing word, 了, then an amount.
HOURS_DONE = ("干", "做", "服务", "攒", "积累", "参加")
HOURS_AMOUNT = ("多少", "多长时间", "多久", "几个小时", "几小时", "几次", "几回")
# Asking which of one's own activities are coming (`我都要去哪些活动`, `我最近有什么活动要参加`).
MINE_GOING = ("要去", "要参加", "得去", "该去")
QUESTION_WORDS = ("哪些", "哪几个", "哪个", "什么", "几个", "哪")
# Naming one's own community (`我们社区有什么活动`): the community the person registered in.
OWN_COMMUNITY = ("我们社区", "我社区", "本社区", "我家社区", "我们小区", "我们这个社区", "我住的社区", "我所在的社区")
# Words that introduce a number as a check-in code (`码是386514`): a check-in, not a guess.
CODE_MARKERS = ("签到码", "码", "口令")
# After a request word, a mark of something done before (`我去过敬老院好几回了`): not a request.
DONE_BEFORE = ("过",)
CHECKIN = ("签到", "签个到", "打卡", "我到了", "到了", "报到", "报个到", "我在这了", "人到了", "到地方了", "到现场了")
CHECKOUT = ("签退", "签个退", "我走了", "要走了", "走了")
HELP = (
    "帮助", "菜单", "怎么用", "不会用", "咋用", "能做什么", "能干什么", "有什么功能", "怎么弄", "怎么操作",
    "怎么报名", "怎么签到", "怎么取消", "教教我", "教我", "使用说明", "说明书", "不会弄", "不懂", "看不懂",
    "帮帮我", "帮帮忙", "不会操作", "能帮我做什么", "能帮我干什么", "可以做什么", "能干嘛", "有什么用", "功能",
    "功能介绍", "使用方法", "操作说明", "咋操作", "该怎么办", "我该怎么", "能办什么", "都能办", "能帮什么", "怎么使唤",
    "怎么使",
    "这玩意怎么", "玩意儿怎么", "这东西怎么用",
    "能干点什么", "都能干点", "能办点什么",
)
REGISTER = (
    "注册", "登记", "修改信息", "改信息", "改手机", "换手机", "改电话", "换号", "改名", "填信息",
    "个人信息", "实名", "当志愿者", "成为志愿者", "申请志愿者", "加入志愿者", "改社区", "换社区", "搬家",
    "手机号换", "换号码", "改号码", "号码换", "换电话", "电话换", "改名字", "改一下名", "名字写错", "名字错了",
    "改一下手机", "改一下电话", "改一下社区", "改一下信息",
    "登记信息", "登记资料",
    "入志愿者", "加入志愿", "进志愿者", "参加志愿者", "志愿者怎么入", "志愿者怎么加入",
)
# Asking about activities: a list (optionally narrowed) or one in full.
LIST = (
    "能报名", "可以报名", "能报的", "可以报的", "活动", "有什么", "有没有", "有哪些", "哪些", "安排", "最近", "近期",
    "都有", "还有", "看看", "查查",
    "搞什么", "组织", "什么活", "推荐", "推荐一下", "介绍几个",
)
DETAIL = (
    "详情", "详细", "具体", "介绍", "内容", "要求", "说说", "讲讲", "问问", "问一下", "了解", "打听",
    "还有名额", "还有位置", "还有空", "满了没", "满没满", "还能报",
    # Whether it still happens (`票友会咋不办了`), or one can still join (`截止了吗`).
    "还办吗", "办不办", "还办不办", "不办了", "停办了", "还搞吗", "还开吗", "截止", "截止了", "报名截止",
    # Who leads it (`防诈骗讲座谁来讲`).
    "谁来讲", "谁讲", "谁主讲", "谁带队", "谁组织", "谁负责", "哪个老师", "哪个大夫", "哪个医生",
    "谁来教", "谁教", "哪个老师教", "年龄限制", "岁数", "多大年纪", "有什么讲究",
)

# Questions that can ride along with a request (`…我去，在哪儿集合？`), answered in the same reply.
QUESTION_PLACE = ("在哪", "哪集合", "集合", "地点", "地址", "怎么走", "怎么去", "哪里", "什么地方", "几楼", "哪个门")
QUESTION_TIME = ("几点", "什么时候", "时间", "多会", "哪天", "星期几", "周几")
QUESTION_LENGTH = ("多长时间", "多久", "几个小时", "算几", "记几", "算多少")
QUESTION_PLACES_LEFT = ("缺人", "缺不缺人", "名额", "还有位置", "满了没", "满没满", "还能报", "人多不多", "几个人", "多少人", "要多少人")
QUESTION_CONTENT = (
    "带什么", "穿什么", "准备什么", "做什么", "干什么", "内容", "要求", "要会", "需要什么", "得会", "要带", "需要带", "带不带",
    "用不用带", "要穿", "要准备",
)

# Someone else named as the one to sign up (`帮俺老伴报个名`): a family member added with
# `添加家人` is signed up by name or relation (SPEC §11); anyone else signs up from their
# own WeChat, so the bot says how instead of signing the sender up.
PROXY = (
    "老伴", "老头", "老婆", "媳妇", "老公", "对象", "爱人", "我妈", "我爸", "俺妈", "俺爸", "儿子", "闺女", "女儿",
    "我娘", "我爹", "老妈", "老爸",
    "孙子", "孙女", "外孙", "邻居", "朋友", "同事", "家里人", "家人",
)
# What people call a family member → the relations (`添加家人`'s) it may be.
RELATION_WORDS = {
    "老伴": ("spouse",), "老头": ("spouse",), "老头子": ("spouse",), "老婆": ("spouse",), "媳妇": ("spouse", "child", "other"),
    "老公": ("spouse",), "爱人": ("spouse",), "对象": ("spouse",), "丈夫": ("spouse",), "妻子": ("spouse",),
    "儿子": ("child",), "闺女": ("child",), "女儿": ("child",), "孩子": ("child", "other"), "娃": ("child", "other"),
    "孙子": ("child", "other"), "孙女": ("child", "other"), "外孙": ("child", "other"), "外孙女": ("child", "other"),
    "我妈": ("parent",), "我爸": ("parent",), "老娘": ("parent",), "老爹": ("parent",), "母亲": ("parent",), "父亲": ("parent",),
    "我娘": ("parent",), "我爹": ("parent",), "老妈": ("parent",), "老爸": ("parent",), "婆婆": ("parent", "other"),
    "公公": ("parent", "other"), "丈母娘": ("parent", "other"), "老丈人": ("parent", "other"),
}
# Before the one a sign-up is for (`给豆豆报上`, `帮俺老伴报个名`); the sender when nothing else follows.
FOR_WHOM_MARKERS = ("给", "帮", "替", "为")
SELF_WORDS = ("我", "我们", "自己", "我自己", "本人")
# Words for "him" or "her": a family member named elsewhere in the message.
PRONOUNS = ("他", "她", "他们", "她们", "俩")
# Words that say the sender comes too (`我和豆豆都报上`), or the whole family (`全家都报上`).
WITH_ME = ("我和", "我跟", "和我", "跟我", "我俩", "我们俩", "咱俩")
WHOLE_FAMILY = ("全家", "一家人", "一家子", "我们全家")
# Around the one a request is for, words that are not part of who it is (`给我家豆豆也报上`).
POSSESSIVES = ("我们家", "我家", "我的", "我", "家")
ALSO = ("也", "都", "一起", "一块", "一同")

# Greetings and thanks: a friendly answer, never a change.
GREETINGS = (
    "你好", "您好", "在吗", "在不在", "早上好", "晚上好", "中午好", "哈喽", "快乐", "节日快乐", "新年好", "过年好", "hello", "hi",
)
THANKS = ("谢谢", "多谢", "感谢", "辛苦了", "麻烦了", "好的谢谢")

# Words an activity's number follows (`报名3的那个`, `取消 9`).
NUMBER_AFTER = ("报名", "报", "取消", "请假", "确认", "详情", "参加", "退")
# Asking the date, not about activities (`今天几号了`).
DATE_QUESTIONS = ("几号", "几月", "星期几", "周几", "礼拜几", "什么日子")
# "None of them", as an answer to "which one?".
NONE_OF_THEM = (
    "都不是", "都不要", "都不去", "一个都不", "哪个都不", "一个也不", "哪个也不", "都不用", "都不想",
    "不用了", "不要了", "算了", "不报了", "不去了",
)

# Short answers in a question the bot asked.
YES = (
    "是", "是的", "对", "对的", "对头", "嗯", "嗯嗯", "好", "好的", "行", "中", "可以", "确认", "要", "没错", "就是", "报",
    "管", "妥", "妥了", "中嘞", "好嘞", "成", "得嘞", "没问题", "要得", "可以的", "对对", "是哩", "就它", "就这个",
    "ok", "yes", "y",
)
NO = (
    "不", "不是", "不对", "不要", "不用", "不用了", "算了", "错了", "否", "都不是", "都不要", "没有", "不中", "不行", "拉倒",
    "不管", "no", "n",
)

# Cues too common to decide a change on their own (`有事` may be "I have a question"):
# with only these, the bot asks before it signs up, cancels or gives a place up.
WEAK = (
    "有事", "没空", "没时间", "放心", "算了", "参加", "去一个", "看看", "记录", "到了", "走了", "报到", "不去", "退出",
    "报下", "生病", "病了", "不舒服", "住院", "回老家", "我也想",
)

# Words a typing or hearing slip is corrected towards when one character sounds the same
# (`抱名` → 报名, `实长` → 时长, `千到` → 签到, `将座` → 讲座). Kind and topic words are
# targets too. Only these are ever corrected: names and places are left as written.
SLIP_TARGETS = (
    "报名", "取消", "请假", "确认", "活动", "详情", "时长", "签到", "签退", "注册", "登记", "帮助", "讲座",
    "我的报名", "服务时长", "名额", "集合", "地点",
)
# ── the small words the reading's grammar is built from ────────────────────
# (bot/chat/understanding/: the patterns stay in code, these words are here to change).
# Asking: any of these words, or one of the endings (`有讲座没有`), or `?`.
ASK_WORDS = ("什么", "哪", "几", "怎么", "多少", "多久", "多长", "多大", "有没有", "是不是", "能不能", "行不行", "可不可以")
ASK_ENDINGS = ("没有", "不")
# The last character of an event's name says what it is (`服务日`, `风筝节`, `比赛`): a name said
# that ends in one the activity's title lacks names something else (asked, never acted on).
EVENT_HEADS = "日节周赛展会"
# The word a festival's name ends in (`重阳节`): a title may have the name without it.
FESTIVAL = "节"
# Asking about a thing's price (`西瓜多少钱一斤`, `鸡蛋又涨价了`) or where to buy it: chatter, never about an activity.
PRICE_TALK = (
    "多少钱一", "几块钱一", "几毛钱一", "块钱一斤", "涨价", "降价", "又贵了", "便宜了", "啥价", "什么价",
    # Where to buy a thing (`重阳糕在哪买`): shopping, not an activity.
    "在哪买", "在哪儿买", "哪里买", "哪儿买", "哪有卖", "哪儿有卖", "在哪里买",
)
QUESTION_PARTICLES = ("吗",)
# "Is that all right?" after a request (`给俺报上中不中`): the request stands.
ALL_RIGHT_TAGS = ("中不中", "行不行", "好不好", "成不成", "可不可", "妥不妥")
# "有…吗": asking whether there is something asks for a list, except 有事, 有空, 有时间.
EXISTS, NOT_EXISTS = "有", "没"
EXISTS_NOT = ("事", "空", "时间")
EXISTS_ENDINGS = ("吗", "没有", "没", "不", "么")
# A request ending in going or coming (`…俺带孙子去`), maybe with a particle after it.
GOING_ENDINGS = ("去", "来")
GOING_PARTICLES = ("了", "哈", "呀")
# Between a "not" and the going word, words of intending that keep it a "not going" (`不打算去了`);
# any other words there (`不一定去`) leave it unsure: asked, never acted on.
NEGATED_MODALS = ("打算", "准备", "计划", "想", "再", "要", "用")
# Particles that close a phrase without being part of it (`老人的`, `报上了`).
TRAILING_PARTICLES = "的了着过吗么个呢没不"
# The first person: a left-over word that starts with it is about the sender (`我手艺还行`).
FIRST_PERSON = "我"
# An activity's number: after these (`活动3`, `编号3`), or before 活动 (`3号活动`); a position
# in the list after 第 and before a counter (`第2个`).
NUMBER_WORDS = ("活动", "编号")
ACTIVITY_WORD = "活动"
ORDINAL = "第"
POSITION_COUNTERS = ("个", "场", "项")
# Around `报名` and `取消` with someone else: `给我老伴报`, `老伴也想去`.
PROXY_MARKERS = ("给", "帮", "替", "和", "跟")
PROXY_VERBS = ("报", "参加", "想去", "要去", "也去", "想学", "想听", "想参加")
# Between a code word and the code (`码是386514`).
CODE_JOINERS = ("是", "为")
# Spoken numbers: a numeral before one of these is a number (`三号`, `两个`); one after these
# characters too (`第二`, `签到九五二七`), unless a word goes on (`一起`, `一下`). `一个`,
# `一位` are "a", not a count.
NUMBER_UNITS = ("号", "个", "位", "次", "月", "日", "点半", "点钟", "点", "小时", "天", "名", "人", "场", "期")
NUMBER_AFTER_CHARS = "第码号到退名消假认情动"
NUMERAL_WORD_ENDINGS = "起下样直定些共切般块同旦"
A_ONE_COUNTERS = "个位次名人场期"
# Voice input: a character said twice by a stutter (`我我想`), and 儿化 dropped after these
# (`哪儿` → 哪, `这会儿` → 这会) but kept before these (`儿童`, `儿子`).
STUTTER_CHARS = "我俺你那这就嗯啊呃额"
ERHUA_AFTER = "哪这那点会块事空玩天早晚活名"
ERHUA_KEEP_BEFORE = "童子女孙歌"
# Answers to "which one?": `第2个`, `选2`, `2号吧`; to "yes or no?": a short answer starting so.
CHOICE_PREFIXES = ("第", "选", "要")
CHOICE_COUNTERS = ("个", "号", "项", "场", "条")
CHOICE_ENDINGS = ("吧", "的", "那个")
# The first or the last of the options, said by where it stands (`后一个`, `前面那个`).
CHOICE_FIRST = ("前一个", "前面那个", "前面的", "前边那个", "前边的", "头一个", "上面那个", "上边那个")
CHOICE_LAST = ("后一个", "后面那个", "后面的", "后边那个", "后边的", "最后一个", "最后那个", "下面那个", "下边那个")
YES_STARTS = ("是", "对", "好", "行", "中", "可以", "确认")
NO_STARTS = ("不", "别")
# Before a word of joining, a "not" that turns it into its opposite (`不凑热闹了`, `别算我`);
# not in a "do or not" question (`报不报名`), where the word before it is the same.
NEGATIONS = ("不", "别", "甭")
NOT_NEGATING = ("要不",)  # "how about": `要不给我报上`
# How long or how far after a going word tells what was done (`我去公园溜达了一圈`), no request.
DONE_AMOUNTS = ("了一圈", "了一趟", "了一回", "了一遭", "了一上午", "了一下午", "了一晚上", "了一整天", "了半天")
# A direction after 过 (`过来`, `过去`): not something done before.
DIRECTIONS = ("来", "去")

# ── days and times: the one time reader (bot/domain/timeparse) reads organizers' times ──
# in `发布` and residents' days in free text with these words.
# A day relative to today, as organizers and residents write it.
RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
# More ways residents name a day (`今晚的讲座`, `昨天的清扫`).
RELATIVE_DAYS_SAID = {"今晚": 0, "今早": 0, "明晚": 1, "明早": 1, "昨天": -1, "前天": -2}
# Parts of the day, each → morning, noon, afternoon or evening. An hour after an afternoon or
# evening word is past noon (`下午2点`); one after a morning word is before it.
PARTS_OF_DAY = {
    "上午": "morning", "早上": "morning", "早晨": "morning", "清晨": "morning", "上昼": "morning", "一早": "morning",
    "明早": "morning", "今早": "morning", "中午": "noon", "下午": "afternoon", "午后": "afternoon",
    "傍晚": "evening", "晚上": "evening", "晚间": "evening", "夜里": "evening", "夜间": "evening", "今晚": "evening",
    "明晚": "evening",
}
# The week: its words (`周六`, `星期六`, `礼拜六`), the names of its days, and the words before
# it that say which week (`下周`, `这个礼拜`); the week starts on Monday.
WEEK_WORDS = ("周", "星期", "礼拜")
WEEKDAY_NAMES = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
WEEK_AFTER_NEXT = ("下下", "下下个")
NEXT_WEEK = ("下", "下个")
THIS_WEEK = ("这", "这个", "本")
LAST_WEEK = ("上", "上个")
WEEKEND = ("周末",)
WEEKEND_SUFFIX = "末"  # `下周末`, `这礼拜末`
# A few days from today, and how many (`这两天` is today and the next two).
FEW_DAYS = {"今明两天": 2, "今明": 2, "这两天": 3, "过两天": 3, "这几天": 7, "最近几天": 7, "近几天": 7, "这些天": 7}
# The month: `下个月`, `这个月`; `月初` and `月底` its first and last week.
NEXT_MONTH = ("下", "下个")
THIS_MONTH = ("这", "这个", "本")
MONTH_START, MONTH_END = "月初", "月底"
# After a number, words that make it a house, not a day (`3号院`, `5号楼`).
HOUSE_WORDS = ("院", "楼", "门", "单元", "栋", "层", "室", "座", "线", "路")
# Between the start and the end of an organizer's time (`9点到11点`, `9:00-11:00`).
RANGE_SEPARATORS = ("-", "~", "到", "至", "—", "–", "－")
# Holidays people name instead of a date: the word → (month, first day, number of days).
HOLIDAYS = {
    "元旦": (1, 1, 3), "五一": (5, 1, 5), "劳动节": (5, 1, 5), "六一": (6, 1, 1), "儿童节": (6, 1, 1), "七一": (7, 1, 1),
    "建党节": (7, 1, 1), "八一": (8, 1, 1), "建军节": (8, 1, 1), "教师节": (9, 10, 1), "国庆": (10, 1, 7),
    "十一假期": (10, 1, 7), "十一长假": (10, 1, 7), "三八节": (3, 8, 1), "妇女节": (3, 8, 1), "植树节": (3, 12, 1),
}
# Words about days and times, also never "corrected" into something else.
TIME_WORDS = (
    "今天", "明天", "后天", "大后天", "昨天", "前天", "上午", "下午", "中午", "晚上", "早上", "周末", "时间",
    "时候", "星期", "礼拜", "下周", "本周", "这周", "上周", "月底", "月初", "几号", "几点", "假期", "放假", "长假",
    "期间", "那几天", "那天",
)
