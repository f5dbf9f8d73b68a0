"""Residents: search by name, volunteer number, community, party membership and employer;
phones masked. A scoped organizer sees their community's residents only."""

from __future__ import annotations

from flask import g, render_template, request

from bot.domain import communities, directory
from bot.web.console import forms
from bot.web.console.auth import page_number
from bot.web.console.blueprint import bp


@bp.get("/people")
def people() -> str:
    """The search form and one page of results."""
    args = request.args
    party = {"1": True, "0": False}.get(args.get("party", ""))
    query = directory.Query(
        name=args.get("name", ""),
        volunteer_no=args.get("no", ""),
        community_id=forms.optional_int(args.get("community")),
        party=party,
        employer=args.get("employer", ""),
    )
    found = directory.search(g.db, g.scope, query, page_number())
    return render_template(
        "console/people.html",
        found=found,
        args={k: v for k, v in args.items() if k != "page" and v},
        communities=communities.in_order(g.db) if g.scope is None else [],
    )
