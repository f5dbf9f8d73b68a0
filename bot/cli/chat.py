"""`flask --app wsgi chat`: the terminal simulator, speaking to the webhook as WeChat does."""

from __future__ import annotations

import time

import click
import requests
from flask import current_app
from flask.cli import with_appcontext

from bot.wechat.peer import WeChatPeer
from config import Settings


class Simulator:
    """`flask --app wsgi chat`: type as a resident, see replies and pushed messages."""

    HELP = "/voice TEXT  /voice  /scan SCENE  /click KEY  /subscribe  /unsubscribe  /user OPENID  /quit"

    def __init__(self, settings: Settings, url: str, openid: str):
        self.http = requests.Session()
        self.peer = WeChatPeer.from_settings(settings)
        self.url = url
        self.openid = openid
        self.base = url.rsplit("/wechat", 1)[0]
        self.seen_outbox = 0

    def send(self, xml: str) -> str:
        request = self.peer.signed(xml)
        response = self.http.post(self.url, params=request.query, data=request.body, timeout=10)
        if response.status_code != 200:
            return f"[HTTP {response.status_code}]"
        reply = self.peer.read_reply(response.content)
        return reply.get("Content", "") if reply else ""

    def line(self, line: str) -> str:
        """Turn one typed line into a message (or a switch) and return what to show."""
        if line.startswith("/"):
            command, _, arg = line.partition(" ")
            arg = arg.strip()
            if command == "/user" and arg:
                self.openid = arg
                return f"(now speaking as {arg})"
            if command == "/scan" and arg:
                return self.send(self.peer.event_xml(self.openid, "SCAN", arg))
            if command == "/click" and arg:
                return self.send(self.peer.event_xml(self.openid, "CLICK", arg))
            if command == "/subscribe":
                key = f"qrscene_{arg}" if arg else None
                return self.send(self.peer.event_xml(self.openid, "subscribe", key))
            if command == "/unsubscribe":
                return self.send(self.peer.event_xml(self.openid, "unsubscribe"))
            if command == "/voice":
                # A voice message as WeChat sends it: TEXT as its speech recognition, or none at all.
                return self.send(self.peer.voice_xml(self.openid, arg or None))
            return self.HELP
        return self.send(self.peer.text_xml(self.openid, line))

    def pushed(self) -> list[str]:
        """Messages the sandbox sender recorded for this person since last asked."""
        try:
            response = self.http.get(f"{self.base}/sandbox/outbox", params={"openid": self.openid, "after": self.seen_outbox}, timeout=5)
        except Exception:
            return []
        if response.status_code != 200:
            return []
        items = response.json().get("messages", [])
        if items:
            self.seen_outbox = max(item["id"] for item in items)
        return [item["text"] for item in items]

    def repl(self) -> None:
        click.echo(f"Talking to {self.url} as {self.openid}. {self.HELP}")
        self.pushed()  # skip what was pushed before this session
        while True:
            try:
                line = input(f"{self.openid}> ").strip()
            except (EOFError, KeyboardInterrupt):
                click.echo()
                return
            if line in ("/quit", "/exit"):
                return
            if not line:
                for text in self.pushed():
                    click.echo(f"[推送] {text}\n")
                continue
            try:
                reply = self.line(line)
            except Exception as exc:  # the server may be down; keep the prompt
                reply = f"[error: {exc}]"
            click.echo(reply or "(no reply)")
            time.sleep(0.3)
            for text in self.pushed():
                click.echo(f"[推送] {text}\n")


@click.command("chat")
@click.option("--url", default="http://127.0.0.1:8000/wechat", show_default=True, help="The webhook to talk to")
@click.option("--user", "openid", default="sim-resident", show_default=True, help="The openid to speak as")
@with_appcontext
def chat_command(url: str, openid: str) -> None:
    """The terminal simulator: signs (and encrypts) each line as WeChat does."""
    Simulator(current_app.extensions["bot"].settings, url, openid).repl()
