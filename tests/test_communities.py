"""One rule for reading a community's name, whoever asks: registration, 发布, 群发, the CLI."""

from __future__ import annotations

import pytest

from bot.domain import communities as community_rules
from bot.domain.errors import InvalidInput, NotFound
from bot.storage.models import Community


def test_a_name_matches_with_or_without_its_suffix():
    full, plain = Community(name="南乾元社区"), Community(name="护城河")
    assert community_rules.matches(full, "南乾元社区") and community_rules.matches(full, "南乾元")
    assert community_rules.matches(plain, "护城河") and community_rules.matches(plain, "护城河社区")
    for wrong in ("南乾", "", "南乾元社区社区"):
        assert not community_rules.matches(full, wrong)


def test_picking_from_a_numbered_list_by_number_name_or_the_subdistrict():
    a, b = Community(id=1, name="南乾元社区"), Community(id=2, name="夕阳楼社区")
    with_subdistrict = [a, b, None]
    assert community_rules.pick(with_subdistrict, "2") is b
    assert community_rules.pick(with_subdistrict, "夕阳楼") is b
    assert community_rules.pick(with_subdistrict, "3") is None
    assert community_rules.pick(with_subdistrict, "全街道") is None
    with pytest.raises(InvalidInput):
        community_rules.pick([a, b], "全街道")  # not offered: no silent "everyone"
    for wrong in ("4", "0", "西大街"):
        with pytest.raises(InvalidInput):
            community_rules.pick(with_subdistrict, wrong)


def test_a_short_name_works_in_registration_and_the_cli(wx, services, communities):
    assert "南学街社区" in wx.register(community="南学街")  # typed instead of its number
    with services.db.transaction() as session:
        assert community_rules.required(session, "南学街").name == "南学街社区"
        assert community_rules.required(session, "") is None
        with pytest.raises(NotFound):
            community_rules.required(session, "不存在")
