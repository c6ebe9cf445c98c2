"""Real peers on 127.0.0.1 for the delivery tests: an HTTP receiver of webhooks and an SMTP server."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Webhook:
    """An HTTP receiver on 127.0.0.1 keeping what is POSTed to it (the JSON bodies, and each request's raw body
    with its headers); while ``failing`` it answers 500."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.refused = 0
        self.failing = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers.items()), body))
                if receiver.failing:
                    receiver.refused += 1
                    self.send_error(500, "the receiver is down")
                    return
                receiver.bodies.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads what arrived, not a log."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/leadpact"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)  # quick stop

    def __enter__(self) -> Webhook:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def received(self) -> list[tuple[int, str]]:
        return [(body["id"], body["topic"]) for body in self.bodies]


class Mailbox:
    """An SMTP server on 127.0.0.1 keeping every message it is sent, with the envelope's recipients."""

    def __init__(self) -> None:
        self.mail: list[tuple[list[str], EmailMessage]] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.url = f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.mail.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def __enter__(self) -> Mailbox:
        self._controller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._controller.stop()

    def letters(self) -> list[tuple[list[str], str]]:
        return [(to, str(message["Subject"])) for to, message in self.mail]
