"""The demo data `flask --app wsgi seed-demo` (and `make run`) loads: the office may change it freely."""

# The five communities, in the order residents choose from.
COMMUNITIES = ("南乾元社区", "南顺城街社区", "南学街社区", "西大街社区", "夕阳楼社区")
ORGANIZER_OPENID = "demo-organizer"
ORGANIZER_NAME = "王组织"
# (days from today, start hour, minutes, hours long, kind, title, place, community index or None, capacity, content)
ACTIVITIES = (
    (2, 9, 0, 2, "cleanup", "楼院义务清扫", "南乾元社区3号院", 0, 20, "清扫楼道、院落垃圾，整理乱堆杂物"),
    (3, 15, 0, 1.5, "lecture", "反诈骗知识讲座", "南顺城街社区活动室", 1, 40, "民警讲解常见电信诈骗手法与防范"),
    (4, 19, 0, 2, "culture", "百姓大舞台文艺汇演", "西大街文化广场", None, 60, "居民自编自演节目，志愿者负责秩序与后勤"),
    (5, 9, 30, 2.5, "visit", "敬老院慰问", "夕阳楼社区敬老院", 4, 12, "陪老人聊天、打扫房间、表演小节目"),
    (6, 14, 30, 1.5, "lecture", "健康知识讲座", "南学街社区卫生服务站", 2, 50, "社区医生讲解冬季心脑血管疾病预防"),
    (7, 9, 0, 3, "cleanup", "义务植树", "护城河沿线绿地", None, 30, "补植行道树、浇水培土"),
    (8, 10, 0, 1.5, "culture", "儿童读书会", "南乾元社区书屋", 0, 15, "带领小朋友共读绘本，维持秩序"),
    (9, 14, 0, 2, "training", "志愿者服务技能培训", "街道办三楼会议室", None, 80, "志愿服务礼仪、急救常识与安全须知"),
    (10, 9, 0, 2, "visit", "儿童福利院义务理发", "市儿童福利院", None, 8, "为福利院儿童理发，需有理发经验"),
    (11, 15, 0, 1.5, "lecture", "法治宣传讲座", "南顺城街社区活动室", 1, 40, "民法典中与居民生活相关的条款解读"),
    (12, 9, 0, 2, "culture", "好妈妈课堂", "西大街社区活动中心", 3, 25, "家庭教育经验分享，志愿者负责签到与照看儿童"),
    (13, 9, 0, 2, "lecture", "礼仪讲座", "夕阳楼社区会议室", 4, 30, "日常待人接物与志愿服务礼仪"),
)

# Volunteers with a history, so the console's dashboard, hours and exports have something
# to show: (openid, name, phone, community index, party member, employer).
VOLUNTEERS = (
    ("demo-v1", "李秀英", "13800000001", 0, False, None),
    ("demo-v2", "王建国", "13800000002", 0, True, "市第一医院"),
    ("demo-v3", "赵桂兰", "13800000003", 1, False, None),
    ("demo-v4", "陈志强", "13800000004", 1, True, "区税务局"),
    ("demo-v5", "刘芳", "13800000005", 2, True, "市第五中学"),
    ("demo-v6", "杨明", "13800000006", 3, False, None),
    ("demo-v7", "黄淑珍", "13800000007", 4, False, None),
    ("demo-v8", "周伟", "13800000008", 3, True, "市自来水公司"),
)
# A family member signed up by a volunteer: (volunteer index, name, relation, age this year).
FAMILY = ((5, "杨小宇", "child", 9),)
# Activities already held, closed with hours credited to who came:
# (days ago, start hour, minutes, hours long, kind, title, place, community index or None,
#  capacity, content, who came: volunteer indexes, "F0" for FAMILY[0]).
HISTORY = (
    (75, 9, 0, 2, "cleanup", "国庆前楼院大扫除", "南乾元社区各楼院", 0, 30, "清扫楼道、清理小广告", (0, 1, 2, 5)),
    (52, 15, 0, 1.5, "lecture", "防范养老诈骗讲座", "南顺城街社区活动室", 1, 40, "民警讲解保健品、理财类诈骗", (2, 3, 6)),
    (38, 9, 30, 2.5, "visit", "重阳节敬老院慰问", "夕阳楼社区敬老院", 4, 15, "包饺子、陪老人聊天", (0, 1, 3, 4, 6, 7)),
    (24, 10, 0, 1.5, "culture", "亲子读书会", "南乾元社区书屋", 0, 15, "带领孩子共读绘本", (4, 5, "F0")),
    (16, 9, 0, 3, "cleanup", "护城河义务捡拾垃圾", "护城河沿线绿地", None, 30, "捡拾河岸垃圾、劝导文明游园", (1, 3, 4, 5, 7)),
    (6, 14, 0, 2, "training", "应急救护培训", "街道办三楼会议室", None, 40, "心肺复苏与止血包扎", (0, 2, 4, 6, 7)),
)
