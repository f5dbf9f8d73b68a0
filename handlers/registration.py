"""The registration dialog: 姓名 → 手机号 → 社区 → 是否党员 → 在职单位.

Running it again edits the profile (`不变` keeps a value). A dialog begun by `报名 N`
signs the person up for N when it ends.
"""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import communities, residents
from bot.domain.errors import InvalidInput, UserError
from config import texts

router = Router("registration")

DIALOG = "register"


def _save_state(ctx: Context, state: str, data: dict) -> None:
    ctx.conversations.set(DIALOG, state, data)


def _keep(ctx: Context) -> bool:
    return ctx.text in texts.KEEP_WORDS


def _community_choices(ctx: Context) -> tuple[str, list]:
    options = communities.in_order(ctx.session)
    lines = "\n".join(f"{i}. {c.name}" for i, c in enumerate(options, 1))
    return lines, options


def start(ctx: Context, then_signup: int | None = None) -> Reply:
    """Begin (or re-run) registration; returns the first question."""
    resident = ctx.resident
    data: dict = {"then_signup": then_signup, "editing": resident.registered}
    _save_state(ctx, "name", data)
    if resident.registered:
        return Reply(texts.REG_ASK_NAME_EDIT.format(current=resident.name))
    return Reply(texts.REG_ASK_NAME)


@router.text("注册", "登记", "修改信息")
@router.click("REGISTER")
def register_start(ctx: Context) -> Reply:
    """Start the profile dialog."""
    return start(ctx)


@router.step(DIALOG, "name")
def register_name(ctx: Context) -> Reply:
    """Take the name."""
    data = ctx.conversation.data
    resident = ctx.resident
    if data.get("editing") and _keep(ctx):
        data["name"] = resident.name
    else:
        try:
            data["name"] = residents.validate_name(ctx.text)
        except InvalidInput:
            return Reply(texts.REG_BAD_NAME)
    _save_state(ctx, "phone", data)
    if data.get("editing"):
        return Reply(texts.REG_ASK_PHONE_EDIT.format(current=residents.mask_phone(resident.phone)))
    return Reply(texts.REG_ASK_PHONE)


@router.step(DIALOG, "phone")
def register_phone(ctx: Context) -> Reply:
    """Take the mobile number."""
    data = ctx.conversation.data
    if data.get("editing") and _keep(ctx):
        data["phone"] = ctx.resident.phone
    else:
        try:
            data["phone"] = residents.validate_phone(ctx.text)
        except InvalidInput:
            return Reply(texts.REG_BAD_PHONE)
    choices, options = _community_choices(ctx)
    if not options:
        ctx.conversations.clear()
        return Reply(texts.REG_NO_COMMUNITIES)
    _save_state(ctx, "community", data)
    return Reply(texts.REG_ASK_COMMUNITY.format(choices=choices))


@router.step(DIALOG, "community")
def register_community(ctx: Context) -> Reply:
    """Take the community, by its number in the list (or its name)."""
    data = ctx.conversation.data
    choices, options = _community_choices(ctx)
    chosen = None
    if data.get("editing") and _keep(ctx):
        chosen = next((c for c in options if c.id == ctx.resident.community_id), None)
    else:
        try:
            chosen = communities.pick(options, ctx.text)
        except InvalidInput:
            chosen = None
    if chosen is None:
        return Reply(texts.REG_BAD_COMMUNITY.format(choices=choices))
    data["community_id"] = chosen.id
    _save_state(ctx, "party", data)
    return Reply(texts.REG_ASK_PARTY)


@router.step(DIALOG, "party")
def register_party(ctx: Context) -> Reply:
    """Ask whether the person is an in-service party member."""
    data = ctx.conversation.data
    answer = ctx.text.lower()
    if data.get("editing") and _keep(ctx):
        data["party"] = ctx.resident.is_party_member
    elif answer in texts.YES_WORDS:
        data["party"] = True
    elif answer in texts.NO_WORDS:
        data["party"] = False
    else:
        return Reply(texts.REG_BAD_PARTY)
    if data["party"]:
        _save_state(ctx, "employer", data)
        return Reply(texts.REG_ASK_EMPLOYER)
    data["employer"] = None
    return _finish(ctx, data)


@router.step(DIALOG, "employer")
def register_employer(ctx: Context) -> Reply:
    """Take the employer (在职单位) of a party member."""
    data = ctx.conversation.data
    if data.get("editing") and _keep(ctx) and ctx.resident.employer:
        data["employer"] = ctx.resident.employer
    else:
        try:
            data["employer"] = residents.validate_employer(ctx.text)
        except InvalidInput:
            return Reply(texts.REG_BAD_EMPLOYER)
    return _finish(ctx, data)


def _finish(ctx: Context, data: dict) -> Reply:
    resident = residents.save_profile(
        ctx.session,
        ctx.resident,
        name=data["name"],
        phone=data["phone"],
        community_id=data["community_id"],
        is_party_member=data["party"],
        employer=data.get("employer"),
    )
    ctx.commit()
    ctx.conversations.clear()
    done = Reply(
        texts.REG_DONE.format(
            name=resident.name,
            phone=residents.mask_phone(resident.phone),
            community=resident.community.name if resident.community else "-",
            party=texts.REG_PARTY_YES if resident.is_party_member else texts.REG_PARTY_NO,
            employer=texts.REG_DONE_EMPLOYER.format(employer=resident.employer) if resident.employer else "",
            volunteer_no=resident.volunteer_no,
        )
    )
    if data.get("then_signup"):
        try:
            return done.then(ctx.follow_up("报名", str(int(data["then_signup"]))))
        except UserError as exc:
            ctx.rollback()
            return done.then(Reply(exc.message))
    return done
