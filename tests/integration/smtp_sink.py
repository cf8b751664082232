"""A tiny SMTP server on 127.0.0.1 that keeps every message it receives (tests only).

Speaks just enough RFC 5321 for :mod:`smtplib` (HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT), without TLS or AUTH, one thread per connection. ``messages`` holds
:class:`email.message.Message` objects in arrival order.
"""

from __future__ import annotations

import email
import socketserver
import threading
from email.message import Message
from types import TracebackType


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode("ascii"))

    def handle(self) -> None:
        self._say("220 aegis-test-sink ESMTP")
        while raw := self.rfile.readline():
            verb = raw.decode("utf-8", "replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-aegis-test-sink\r\n250 8BITMIME\r\n")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 end with <CRLF>.<CRLF>")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                with self.server.lock:
                    self.server.messages.append(email.message_from_bytes(b"".join(lines)))
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.messages: list[Message] = []
        self.lock = threading.Lock()


class SmtpSink:
    """``with SmtpSink() as sink:`` -- ``sink.port`` to send to, ``sink.messages`` received."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def messages(self) -> list[Message]:
        with self._server.lock:
            return list(self._server.messages)

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
