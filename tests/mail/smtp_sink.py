"""A real SMTP server on loopback for the end-to-end mail tests: aiosmtpd, writing every
message it accepts to a folder, one file per message (written to a temporary name and
renamed, so a reader never sees half a message), headed by the envelope's recipients and the
moment the DATA arrived (X-Received-At, Unix ms: a test can tell it was after a deadline).

    smtp_sink.py PORT FOLDER [--tls CERT KEY] [--auth USER PASSWORD]

--tls speaks TLS from the first byte (smtps, implicit TLS) with that certificate and key;
--auth asks for a login (PLAIN or LOGIN) and takes only USER with PASSWORD, writing
X-Authenticated-As into each message. Prints "ready" on stdout once it accepts
connections; stops on SIGTERM or SIGINT.
"""
import os
import signal
import ssl
import sys
import threading
import time
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, folder):
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):
        received = time.time_ns() // 1_000_000
        name = uuid.uuid4().hex
        temporary = os.path.join(self.folder, "." + name)
        with open(temporary, "wb") as out:
            out.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            out.write(b"X-Received-At: " + str(received).encode() + b"\r\n")
            if session.auth_data is not None:
                out.write(b"X-Authenticated-As: " + session.auth_data.login + b"\r\n")
            out.write(envelope.original_content or envelope.content)
        os.rename(temporary, os.path.join(self.folder, name + ".eml"))
        return "250 OK"


def options(args):
    """--tls CERT KEY and --auth USER PASSWORD, as Controller keywords."""
    keywords = {}
    while args:
        flag, first, second, args = args[0], args[1], args[2], args[3:]
        if flag == "--tls":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(first, second)
            keywords["ssl_context"] = context
        elif flag == "--auth":
            expected = (first.encode(), second.encode())
            keywords["authenticator"] = lambda server, session, envelope, mechanism, data: AuthResult(
                success=(data.login, data.password) == expected, auth_data=data
            )
            # Over --tls the connection is encrypted from the start; STARTTLS is not offered.
            keywords["auth_require_tls"] = False
        else:
            raise SystemExit("unknown option " + flag)
    return keywords


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port, **options(sys.argv[3:]))
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
