"""Expected refusals: each carries the message the person is shown.

The dispatcher turns any `UserError` into a reply; anything else is a bug, logged with
its traceback, and the person is told `系统繁忙，请稍后再试`.
"""


class UserError(Exception):
    """A refusal the person should read, e.g. `SignupFull("名额已满…")`."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(UserError):
    pass


class NotRegistered(UserError):
    pass


class SignupClosed(UserError):
    pass


class SignupFull(UserError):
    pass


class AlreadySignedUp(UserError):
    pass


class ScheduleConflict(UserError):
    pass


class HasFamily(UserError):
    """`报名 N` from someone who signs up family members too: ask for whom before taking any place."""

    def __init__(self) -> None:
        super().__init__("")


class InvalidInput(UserError):
    pass


class Forbidden(UserError):
    """An organizer command from someone without the role or scope (reply contains 无权)."""


class CheckinRefused(UserError):
    """Check-in or check-out refused: outside the window, no place, a wrong code…"""
