"""Family members: the `添加家人` dialog (姓名 → 关系 → 出生年份 → 同意), `我的家人`, `删除家人 N`."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import families, privacy
from bot.domain.errors import InvalidInput, UserError
from config import texts

router = Router("family")

DIALOG = "family"


@router.text("添加家人", "添加家庭成员")
def family_start(ctx: Context) -> Reply:
    """Start adding a family member who has no WeChat (a child, an elderly parent)."""
    proxy = ctx.resident
    if not proxy.registered or proxy.is_member:
        return Reply(texts.FAMILY_REGISTER_FIRST)
    if len(families.members(ctx.session, proxy.id)) >= families.MAX_MEMBERS:
        return Reply(texts.FAMILY_TOO_MANY.format(limit=families.MAX_MEMBERS))
    ctx.conversations.set(DIALOG, "name")
    return Reply(texts.FAMILY_ASK_NAME)


@router.step(DIALOG, "name")
def family_name(ctx: Context) -> Reply:
    """Take the member's name (not one the proxy already uses for another member)."""
    name = families.check_new_name(ctx.session, ctx.resident, ctx.text)
    ctx.conversations.set(DIALOG, "relation", {"name": name})
    return Reply(texts.FAMILY_ASK_RELATION.format(name=name))


@router.step(DIALOG, "relation")
def family_relation(ctx: Context) -> Reply:
    """Take how the member is related to the proxy."""
    data = ctx.conversation.data
    try:
        data["relation"] = families.read_relation(ctx.text)
    except InvalidInput:
        return Reply(texts.FAMILY_BAD_RELATION)
    ctx.conversations.set(DIALOG, "year", data)
    return Reply(texts.FAMILY_ASK_YEAR.format(name=data["name"]))


@router.step(DIALOG, "year")
def family_year(ctx: Context) -> Reply:
    """Take the birth year, then ask for the consent that fits the member's age."""
    data = ctx.conversation.data
    try:
        data["birth_year"] = families.read_birth_year(ctx.text)
    except InvalidInput:
        return Reply(texts.FAMILY_BAD_YEAR)
    ctx.conversations.set(DIALOG, "consent", data)
    template = texts.FAMILY_ASK_CONSENT_MINOR if families.is_minor(data["birth_year"]) else texts.FAMILY_ASK_CONSENT_ADULT
    return Reply(template.format(name=data["name"]))


@router.step(DIALOG, "consent")
def family_consent(ctx: Context) -> Reply:
    """`同意` records the member with the consent; `不同意` stores nothing."""
    data = ctx.conversation.data
    if ctx.text in texts.FAMILY_CONSENT_NO:
        ctx.conversations.clear()
        return Reply(texts.FAMILY_NO_CONSENT.format(name=data["name"]))
    if ctx.text not in texts.FAMILY_CONSENT_YES:
        return Reply(texts.FAMILY_CONSENT_AGAIN)
    member = families.add(ctx.session, ctx.resident, families.NewMember(data["name"], data["relation"], data["birth_year"]))
    ctx.commit()
    ctx.conversations.clear()
    return Reply(
        texts.FAMILY_ADDED.format(
            name=member.name,
            relation=texts.FAMILY_RELATIONS[member.relation],
            year=member.birth_year,
            volunteer_no=member.volunteer_no,
        )
    )


@router.text("我的家人", "家人")
def family_list(ctx: Context) -> Reply:
    """The family members this person manages, numbered."""
    people = families.members(ctx.session, ctx.resident.id)
    if not people:
        return Reply(texts.FAMILY_NONE)
    lines = [texts.FAMILY_LIST_HEADER]
    for number, member in enumerate(people, 1):
        lines.append(
            texts.FAMILY_LIST_LINE.format(
                number=number,
                name=member.name,
                relation=texts.FAMILY_RELATIONS.get(member.relation or "other", ""),
                year=member.birth_year,
                volunteer_no=member.volunteer_no,
            )
        )
    lines.append(texts.FAMILY_LIST_FOOTER)
    return Reply("\n".join(lines))


@router.text("删除家人")
def family_remove(ctx: Context) -> Reply:
    """Erase one family member (their future places are given up; anonymous totals stay)."""
    number = ctx.intent.number if ctx.intent else None
    if number is None:
        raise UserError(texts.FAMILY_NEED_NUMBER)
    member = families.numbered(ctx.session, ctx.resident, number)
    name = member.name
    cancelled = privacy.erase(ctx.session, member)
    return Reply(texts.FAMILY_REMOVED.format(name=name, cancelled=texts.ERASE_CANCELLED.format(count=cancelled) if cancelled else ""))
