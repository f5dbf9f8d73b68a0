"""The understanding evaluation batches, all of them, through the real webhook (SPEC §9).

Every labelled message of each batch (tests/data/understanding_eval*.yaml, each against
its world) is sent as WeChat would (signed XML; a voice message where labelled) with the
clock pinned to the world's "now". A batch fails on any wrong effect and on accuracy
under 95%; the misses are printed so a failure says which messages were read wrongly.
"""

from __future__ import annotations

import pytest

from tests import understanding_eval as ev

MIN_ACCURACY = 0.95
# The first batch was written with the reading and covers every intent at length; the
# blind ones are smaller, the seventh a mini-batch.
MIN_CASES = {"understanding_eval.yaml": 300, "understanding_eval_7.yaml": 100, "understanding_eval_9.yaml": 120}


@pytest.mark.parametrize("batch", list(ev.BATCHES))
def test_the_evaluation_set_is_understood_with_no_wrong_effect(app, services, wx, batch):
    world = ev.load_world(ev.BATCHES[batch])
    cases = ev.load_cases(batch)

    def send(openid: str, text: str, voice: bool) -> str:
        return wx.speak(text, user=openid) if voice else wx.say(text, user=openid)

    with ev.pinned(world):
        ev.build(services, world)
        verdicts = ev.run(app, services, cases, send, world)
    result = ev.score(verdicts)
    misses = [f"  {v.case.text!r}: {v.why}  → {v.observed.reply[:60]!r}" for v in verdicts if not v.correct]
    print(f"\n{result.right}/{result.total} understood ({result.accuracy:.1%}), {result.wrong_effects} wrong effects")
    print("  ".join(f"{i} {r}/{t}" for i, (r, t) in result.per_intent.items()))
    print("\n".join(misses))
    wrong = [m for m, v in zip(misses, [v for v in verdicts if not v.correct], strict=True) if v.wrong_effect]
    assert not wrong, "wrong effects:\n" + "\n".join(wrong)
    assert len(cases) >= MIN_CASES.get(batch, 150)
    assert {c.intent for c in cases} == set(ev.INTENTS)
    assert result.accuracy >= MIN_ACCURACY, f"accuracy {result.accuracy:.1%} under {MIN_ACCURACY:.0%}:\n" + "\n".join(misses)
