"""The free-text pipeline's steps, each a small function tested on its own (SPEC §9)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.chat.understanding import Intent, fits
from bot.chat.understanding.dialog import read_choice, read_yes_no
from bot.chat.understanding.lexicon import Lexicon
from bot.chat.understanding.parse import parse
from bot.chat.understanding.plain import clean, collapse, digits, drop_emoji, fold
from bot.chat.understanding.slips import correct
from bot.domain.timefmt import to_utc_naive
from bot.domain.timeparse import AFTERNOON, EVENING, MORNING, find_days

NOW = to_utc_naive(datetime(2025, 11, 26, 10, 0))  # a Wednesday in Shanghai


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.shared()


@pytest.mark.parametrize(
    "written,read",
    [
        ("後天打掃衛生那個給俺也算上", "后天打扫卫生 给我也算上"),  # traditional, filler, dialect
        ("下禮拜的講座我來不了了", "下礼拜的讲座我来不了了"),
        ("帮我瞅瞅俺干够几个钟点了", "帮我看看我干够几个小时了"),
        ("签到 九五二七", "签到9527"),
        ("嗯嗯那个那个我我我想报名报名报名", "我想报名"),  # voice fillers and repetitions
        ("👍明天讲座算我一个[微笑]", "明天讲座算我一个"),  # emoji and WeChat faces
        ("咱今儿个后晌有啥活动不", "我今天下午有什么活动不"),
        ("报名 ３", "报名 3"),  # full-width
        ("第二个", "第2个"),
        ("十二月五号的讲座", "12月5号的讲座"),
    ],
)
def test_normalisation(lexicon, written, read):
    assert clean(written, lexicon).text == read


def test_normalisation_steps_keep_words_that_only_look_like_numbers_or_repeats():
    assert digits("一起去看一下") == "一起去看一下"
    assert digits("万一不行") == "万一不行"
    assert collapse("看看妈妈") == "看看妈妈"  # doubled characters that mean something
    assert drop_emoji("好的👌") == "好的"
    assert fold("ＨＥＬＰ　") == "HELP"


@pytest.mark.parametrize(
    "written,read",
    [("抱名明天的将座", "报名明天的讲座"), ("我的实长", "我的时长"), ("千到 123456", "签到 123456"), ("去消明天的讲座", "取消明天的讲座")],
)
def test_slips_that_sound_right_are_read_as_the_vocabulary_word(lexicon, written, read):
    assert correct(written, lexicon)[0] == read


@pytest.mark.parametrize("text", ["知道了", "报明天的讲座", "一起去", "我亲家也去"])
def test_words_that_are_not_slips_stay(lexicon, text):
    assert correct(text, lexicon) == (text, [])


def test_names_and_places_are_never_corrected(lexicon):
    # 时场街 reads like 时长 + 街, but it is a place an activity names.
    assert correct("时场街的清扫", lexicon, protected=("时场街社区",))[1] == []
    assert correct("时场街的清扫", lexicon)[1] == [("时场", "时长")]


@pytest.mark.parametrize(
    "text,days,part",
    [
        ("今天", [date(2025, 11, 26)], None),
        ("今儿", [], None),  # colloquial words are made standard before (今儿 → 今天)
        ("明天下午", [date(2025, 11, 27)], AFTERNOON),
        ("后天上午", [date(2025, 11, 28)], MORNING),
        ("大后天晚上", [date(2025, 11, 29)], EVENING),
        ("周六", [date(2025, 11, 29)], None),
        ("礼拜六", [date(2025, 11, 29)], None),
        ("这周六", [date(2025, 11, 29)], None),
        ("下周一", [date(2025, 12, 1)], None),  # the week starts on Monday
        ("12月5日", [date(2025, 12, 5)], None),
        ("5号", [date(2025, 12, 5)], None),  # the 5th of November has passed
        ("周末", [date(2025, 11, 29), date(2025, 11, 30)], None),
    ],
)
def test_days_as_people_say_them(text, days, part):
    mention = find_days(text, NOW)
    assert list(mention.days) == days and mention.part == part


def test_a_week_a_month_and_a_house_number(lexicon):
    assert find_days("下礼拜", NOW).days == tuple(date(2025, 12, d) for d in range(1, 8))
    assert len(find_days("下个月", NOW).days) == 31
    assert find_days("3号院", NOW).days == ()  # a courtyard, not the 3rd
    assert find_days("6号", NOW).day_number == 6  # the reader decides: the 6th, or activity 6


@pytest.mark.parametrize(
    "text,intent",
    [
        ("后天打扫卫生那个给俺也算上", "signup"),
        ("下礼拜的讲座我来不了了", "leave"),
        ("把法治讲座给我取消了", "cancel"),
        ("明天的讲座我准时到", "confirm"),
        ("帮我瞅瞅俺干够几个钟点了", "hours"),
        ("俺都报名了哪些活动", "mine"),
        ("最近有啥活动", "list"),
        ("反诈讲座在哪儿", "detail"),
        ("签到 九五二七", "checkin"),
        ("这个咋用啊", "help"),
        ("我换手机号了", "register"),
        ("今天天气不错", "detail"),  # no request word: weak, resolution finds nothing and hints
        ("你好", "greet"),
    ],
)
def test_intents(lexicon, text, intent):
    assert parse(text, lexicon, NOW).intent == intent


def test_strict_commands_fit_their_grammar_and_free_text_does_not():
    assert fits(Intent("报名", "3")) and fits(Intent("活动")) and fits(Intent("签到", "952 701"))
    assert fits(Intent("报名", "3 小明")) and not fits(Intent("报名", "3的那个"))  # for a family member (SPEC §11)
    assert not fits(Intent("报名")) and not fits(Intent("报名", "后天的清扫")) and not fits(Intent("签到", "九五二七"))
    assert fits(Intent("纠错", "3 我全程参加"))  # other commands read their own arguments


def test_short_answers_to_a_question(lexicon):
    options = [
        {"id": 6, "kind": "visit", "title": "敬老院慰问", "place": "市第一敬老院", "community": "",
         "start": "2025-12-02T09:00", "end": "2025-12-02T11:30", "text": "敬老院慰问 陪老人聊天 市第一敬老院"},
        {"id": 10, "kind": "cleanup", "title": "西大街楼院清扫", "place": "西大街社区5号院", "community": "西大街社区",
         "start": "2025-12-06T09:00", "end": "2025-12-06T11:00", "text": "西大街楼院清扫 清扫楼道 西大街社区5号院 西大街社区"},
    ]
    now = datetime(2025, 11, 26, 10, 0)
    assert read_choice("1", options, lexicon, now).id == 6
    assert read_choice("第二个", options, lexicon, now).id == 10
    assert read_choice("清扫那个", options, lexicon, now).id == 10
    assert read_choice("都不是", options, lexicon, now).kind == "dropped"
    assert read_choice("俺也不知道", options, lexicon, now).kind == "again"
    assert read_choice("我的时长", options, lexicon, now).kind == "new"
    assert read_yes_no("中", lexicon, now).kind == "chosen"
    assert read_yes_no("是的。", lexicon, now).kind == "chosen"
    assert read_yes_no("不是", lexicon, now).kind == "dropped"
