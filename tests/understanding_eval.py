"""The understanding evaluation (SPEC §9): the fixed world, the labelled messages, and the judge.

Shared by `tests/test_understanding_eval.py` (fails on a wrong effect or accuracy under
95%) and `bench/understanding.py` (accuracy per intent, confusion, time, memory). Every
message goes through the real webhook as signed XML (a voice message when labelled
`voice`), from a fresh copy of the world's resident, with the clock pinned to the
world's "now"; what happened is read back from the database and the dialog state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import time_machine
import yaml
from sqlalchemy import select

from bot.domain import activities, communities, families, residents
from bot.domain.timefmt import SHANGHAI, to_utc_naive
from bot.storage.keys import key
from bot.storage.models import Activity, Resident, Signup
from config.demo import COMMUNITIES as DEMO_COMMUNITIES

DATA = Path(__file__).resolve().parent / "data"
INTENTS = ("signup", "cancel", "leave", "confirm", "list", "detail", "mine", "hours", "checkin", "checkout", "help", "register", "none")
# The handler that ran → the intent it serves.
# Handlers that answer without doing anything.
QUIET_HANDLERS = frozenset({"not_understood", "exit_dialog"})
HANDLER_INTENTS = {
    "signup_start": "signup",
    "signup_cancel": "cancel",
    "attendance_leave": "leave",
    "attendance_confirm": "confirm",
    "my_signups": "mine",
    "hours_mine": "hours",
    "checkin_code": "checkin",
    "checkout_code": "checkout",
    "help_menu": "help",
    "register_start": "register",
    "not_understood": "none",
    "exit_dialog": "none",
    "events_more": "list",
}
# A change of a sign-up row the labelled intent and outcome make (else: no change at all).
EFFECTS = {"signup": "signed_up", "cancel": "cancelled", "leave": "left", "confirm": "confirmed", "checkin": "checked_in"}


@dataclass(frozen=True)
class Case:
    say: tuple[str, ...]
    intent: str
    outcome: str
    activity: int | None = None
    candidates: tuple[int, ...] = ()
    only: tuple[int, ...] | None = None
    args: str | None = None
    voice: bool = False
    family: bool = False  # sent by a copy of the resident who manages the world's family members
    member: str | None = None  # the family member the labelled change is for (else the resident)
    klass: str = ""
    note: str = ""

    @property
    def text(self) -> str:
        return " ⏎ ".join(self.say)


@dataclass
class Observed:
    intent: str = "none"
    outcome: str = "refuse"
    number: int | None = None
    args: str = ""
    only: tuple[int, ...] | None = None
    asked: tuple[int, ...] = ()
    reply: str = ""


@dataclass
class Verdict:
    case: Case
    observed: Observed
    correct: bool
    wrong_effect: bool
    why: str = ""
    seconds: float = 0.0


# Each labelled batch and the world it is read against. The first was written together
# with the reading; each later one was written before what it reveals was fixed (the
# second before the reading was even looked at, against a world of its own), and its
# first run is recorded in tests/data/understanding_eval_notes.md.
BATCHES = {
    "understanding_eval.yaml": "understanding_world.yaml",
    "understanding_eval_2.yaml": "understanding_world_2.yaml",
    "understanding_eval_3.yaml": "understanding_world.yaml",
    "understanding_eval_4.yaml": "understanding_world_2.yaml",
    "understanding_eval_5.yaml": "understanding_world_3.yaml",
    "understanding_eval_6.yaml": "understanding_world_4.yaml",
    "understanding_eval_7.yaml": "understanding_world_5.yaml",
    "understanding_eval_8.yaml": "understanding_world_6.yaml",
    "understanding_eval_9.yaml": "understanding_world_7.yaml",
}


def load_world(name: str = "understanding_world.yaml") -> dict:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def load_cases(name: str = "understanding_eval.yaml") -> list[Case]:
    raw = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))["messages"]
    cases = []
    for entry in raw:
        say = entry["say"]
        cases.append(
            Case(
                say=tuple(str(s) for s in (say if isinstance(say, list) else [say])),
                intent=entry["intent"],
                outcome=entry["outcome"],
                activity=entry.get("activity"),
                candidates=tuple(entry.get("candidates") or ()),
                only=tuple(entry["only"]) if "only" in entry else None,
                args=str(entry["args"]) if "args" in entry else None,
                voice=bool(entry.get("voice")),
                family=bool(entry.get("family")),
                member=entry.get("member"),
                klass=entry.get("class", ""),
                note=entry.get("note", ""),
            )
        )
    return cases


def local(text: str) -> datetime:
    """A world time (Shanghai wall clock) as the naive UTC the database stores."""
    return to_utc_naive(datetime.strptime(text, "%Y-%m-%d %H:%M"))


@contextmanager
def pinned(world: dict) -> Iterator[None]:
    """The clock at the world's "now" (ticking on from it): every `utc_now()` and `time.time()` sees it."""
    start = datetime.strptime(world["now"], "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=True):
        yield


def build(services, world: dict) -> None:  # type: ignore[no-untyped-def]
    """The world's communities and activities (with the ids it names), and others holding the full ones."""
    with services.db.transaction() as session:
        by_name = {c.name: c for c in communities.in_order(session)}
        for name in world.get("communities") or DEMO_COMMUNITIES:
            if name not in by_name:
                by_name[name] = communities.add(session, name)
        for spec in world["activities"]:
            start, end = local(spec["start"]), local(spec["end"])
            activity = activities.create(
                session,
                activities.ActivityDraft(
                    kind=spec["kind"],
                    title=spec["title"],
                    start_at=start,
                    end_at=end,
                    deadline_at=local(spec["deadline"]) if spec.get("deadline") else None,
                    place=spec["place"],
                    capacity=spec["capacity"],
                    hours=Decimal(spec["hours"]),
                    community_id=by_name[spec["community"]].id if spec.get("community") else None,
                    content=spec.get("content", ""),
                ),
            )
            if activity.id != spec["id"]:
                raise AssertionError(f"activity {spec['title']} got id {activity.id}, the world says {spec['id']}: start from empty tables")
            activity.status = spec.get("status", "published")
            activity.checkin_code = spec.get("code")
        session.flush()
        # Full: the ones the resident waits for, and those the world names.
        full = [spec for spec in world["activities"] if spec["id"] in world["resident"]["waiting"] or spec["id"] in world.get("full", ())]
        home = by_name[world["resident"]["community"]].id
        others = [_person(session, f"eval-other-{n}", home) for n in range(max((s["capacity"] for s in full), default=0))]
        for spec in full:
            for other in others[: spec["capacity"]]:
                _place(session, other, spec["id"], "confirmed")


def _person(session, openid: str, community_id: int) -> Resident:  # type: ignore[no-untyped-def]
    resident = residents.get_or_create(session, openid)
    residents.save_profile(
        session, resident, name="王大爷", phone="13800138000", community_id=community_id, is_party_member=False, employer=None
    )
    return resident


def _place(session, resident: Resident, activity_id: int, status: str) -> None:  # type: ignore[no-untyped-def]
    activity = session.get(Activity, activity_id)
    activity.signup_seq += 1
    when = activity.start_at - timedelta(days=7)
    session.add(
        Signup(
            activity_id=activity_id,
            resident_id=resident.id,
            status=status,
            seq=activity.signup_seq,
            created_at=when,
            confirmed_at=when if status == "confirmed" else None,
        )
    )


def resident(services, world: dict, openid: str, family: bool = False) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A fresh copy of the world's resident, holding its places (with the world's family
    members when `family`); returns the ids: "" → the resident, a member's name → theirs."""
    with services.db.transaction() as session:
        community = communities.named(session, world["resident"]["community"])
        person = _person(session, openid, community.id)
        for activity_id in world["resident"]["holds"]:
            _place(session, person, activity_id, "confirmed")
        for activity_id in world["resident"]["waiting"]:
            _place(session, person, activity_id, "waitlisted")
        people = {"": person.id}
        for spec in world["resident"].get("family", ()) if family else ():
            member = families.add(session, person, families.NewMember(spec["name"], spec["relation"], spec["born"]))
            people[spec["name"]] = member.id
        return people


Places = dict[tuple[str, int], tuple[str, bool, bool]]


def places(services, people: dict[str, int]) -> Places:  # type: ignore[no-untyped-def]
    """(whose: "" or a member's name, activity) → (status, attendance confirmed, checked in)."""
    whose = {person_id: name for name, person_id in people.items()}
    with services.db.transaction() as session:
        rows = session.execute(select(Signup).where(Signup.resident_id.in_(list(whose)))).scalars()
        return {
            (whose[s.resident_id], s.activity_id): (s.status, s.attendance_confirmed_at is not None, s.checked_in_at is not None)
            for s in rows
        }


def expected(case: Case, before: Places) -> Places:
    """The people's places after the case, as labelled: one change, or none."""
    after = dict(before)
    effect = EFFECTS.get(case.intent) if case.outcome == "act" else None
    if effect is None or case.activity is None:
        return after
    target = (case.member or "", case.activity)
    status, confirmed, checked_in = before.get(target, ("", False, False))
    if effect == "signed_up" and status not in ("confirmed", "waitlisted"):
        after[target] = ("signed_up", False, False)  # confirmed or waitlisted: either is right
    elif effect == "cancelled" and status in ("confirmed", "waitlisted"):
        after[target] = ("cancelled", confirmed, checked_in)
    elif effect == "left" and status in ("confirmed", "waitlisted"):
        after[target] = ("left", confirmed, checked_in)
    elif effect == "confirmed" and status == "confirmed":
        after[target] = (status, True, checked_in)
    elif effect == "checked_in" and status == "confirmed":
        after[target] = (status, confirmed, True)
    return after


def _as_wanted(wanted: tuple | None, got: tuple | None) -> bool:
    if wanted is not None and got is not None and wanted[0] == "signed_up":
        return got[0] in ("confirmed", "waitlisted")
    return wanted == got


def changes(before: dict, want: dict, got: dict) -> tuple[bool, bool]:
    """(the labelled change happened, some other change happened: a wrong effect)."""
    done = all(_as_wanted(want.get(a), got.get(a)) for a in want.keys() | got.keys())
    wrong = any(got.get(a) != before.get(a) and not _as_wanted(want.get(a), got.get(a)) for a in before.keys() | got.keys())
    return done, wrong


class Recorder:
    """Wraps the app's router to see which handler each message went to, with what."""

    def __init__(self, router) -> None:  # type: ignore[no-untyped-def]
        self.last: tuple = ()
        original = router.route_for

        def route_for(ctx):  # type: ignore[no-untyped-def]
            route = original(ctx)
            self.last = (route, ctx)
            return route

        router.route_for = route_for


def observe(recorder: Recorder, services, openid: str, reply: str) -> Observed:  # type: ignore[no-untyped-def]
    route, ctx = recorder.last if recorder.last else (None, None)
    seen = Observed(reply=reply)
    if route is None:
        return seen
    name = getattr(route.handler, "__name__", "")
    intent = ctx.intent
    reading = getattr(ctx, "reading", None)
    decision = getattr(reading, "decision", None)
    if name == "_say":
        seen.intent = decision.intent if decision is not None else "none"
        seen.outcome = "clarify" if decision is not None and decision.outcome in ("ask", "choose") else "refuse"
    elif name == "events_list":
        seen.intent, seen.outcome = ("detail" if intent and intent.number is not None else "list"), "act"
        seen.only = intent.only if intent else None
    else:
        seen.intent = HANDLER_INTENTS.get(name, name)
        seen.outcome = "refuse" if name in QUIET_HANDLERS else "act"
    if seen.intent in ("greet", "thanks"):
        seen.intent = "none"
    if intent is not None:
        seen.number, seen.args = intent.number, intent.args
    raw = services.redis.get(key("conv", openid))
    if raw is not None and seen.outcome == "clarify":
        data = json.loads(raw)["data"]
        seen.asked = tuple(o["id"] for o in data.get("options", [])) or (
            (int(data["args"]),) if str(data.get("args", "")).isdigit() else ()
        )
    return seen


def judge(case: Case, seen: Observed, before: dict, want: dict, got: dict) -> Verdict:
    """Right when the intent, the outcome and what it is about match the label, and the
    person's places changed exactly as labelled; any other change is a wrong effect."""
    done, wrong_effect = changes(before, want, got)
    why = []
    if seen.intent != case.intent:
        why.append(f"intent {seen.intent}")
    if seen.outcome != case.outcome:
        why.append(f"outcome {seen.outcome}")
    if case.outcome == "act" and case.activity is not None and case.intent not in ("checkin", "checkout") and seen.number != case.activity:
        why.append(f"activity {seen.number}")
    if case.args is not None and seen.args.replace(" ", "") != case.args:
        why.append(f"args {seen.args!r}")
    if case.outcome == "clarify" and case.candidates and set(seen.asked) != set(case.candidates):
        why.append(f"asked {list(seen.asked)}")
    if case.outcome == "clarify" and case.activity is not None and seen.asked != (case.activity,):
        why.append(f"asked {list(seen.asked)}")
    if case.only is not None and set(seen.only or ()) != set(case.only):
        why.append(f"only {list(seen.only or ())}")
    if wrong_effect:
        why.append(f"WRONG EFFECT {got}")
    elif not done:
        why.append("labelled change not made")
    return Verdict(case, seen, not why, wrong_effect, ", ".join(why))


def run(app, services, cases: list[Case], send: Callable[[str, str, bool], str], world: dict) -> list[Verdict]:  # type: ignore[no-untyped-def]
    """Every case through the webhook; `send(openid, text, voice)` posts one message and returns the reply."""
    import time

    recorder = Recorder(app.extensions["bot.chat"].router)
    verdicts = []
    for n, case in enumerate(cases):
        openid = f"eval-{n}"
        person = resident(services, world, openid, family=case.family)
        before = places(services, person)
        started = time.perf_counter()
        reply = ""
        for text in case.say:
            reply = send(openid, text, case.voice)
        seconds = (time.perf_counter() - started) / len(case.say)
        seen = observe(recorder, services, openid, reply)
        verdict = judge(case, seen, before, expected(case, before), places(services, person))
        verdict.seconds = seconds
        verdicts.append(verdict)
    return verdicts


@dataclass
class Score:
    total: int = 0
    right: int = 0
    wrong_effects: int = 0
    per_intent: dict[str, list[int]] = field(default_factory=dict)  # intent → [right, total]
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)  # (labelled, seen) → count

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def score(verdicts: list[Verdict]) -> Score:
    result = Score()
    for v in verdicts:
        result.total += 1
        result.right += v.correct
        result.wrong_effects += v.wrong_effect
        tally = result.per_intent.setdefault(v.case.intent, [0, 0])
        tally[0] += v.correct
        tally[1] += 1
        pair = (v.case.intent, v.observed.intent)
        result.confusion[pair] = result.confusion.get(pair, 0) + 1
    return result
