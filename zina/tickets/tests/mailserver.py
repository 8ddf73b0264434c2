"""Real mail servers for the mail tests, on loopback: Debian's Dovecot (IMAP) configured from a
temporary directory, and an aiosmtpd sink that keeps what it receives.

Dovecot runs once per test session; each test gets its own mail user, so tests never see
each other's messages.
"""

from __future__ import annotations

import grp
import imaplib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "mail-test-secret"
USERS = 500


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    text = log.read_text() if log.exists() else ""
    pytest.fail(f"dovecot did not start on 127.0.0.1:{port}:\n{text[-3000:]}")


CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={internal} gid={group} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class ImapServer:
    """The running Dovecot; ``mailbox()`` makes a fresh user to test against."""

    root: Path
    port: int
    host: str = "127.0.0.1"
    _users: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def mailbox(self) -> TestMailbox:
        number = next(self._users)
        if number > USERS:
            pytest.fail(f"more than {USERS} test mailboxes: raise mailserver.USERS")
        return TestMailbox(self, f"box{number}")


@dataclass
class TestMailbox:
    """One IMAP user: put messages in and look at their flags, as a mail server would."""

    server: ImapServer
    user: str

    __test__ = False  # not a test class

    def config(self, institution: str, **extra: Any) -> dict[str, Any]:
        return {
            "institution": institution,
            "host": self.server.host,
            "port": self.server.port,
            "user": self.user,
            "password": PASSWORD,
            "security": "none",
            **extra,
        }

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.server.host, self.server.port, timeout=10)
        conn.login(self.user, PASSWORD)
        return conn

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        conn = self.connect()
        try:
            for raw in messages:
                typ, data = conn.append(folder, "", None, raw)
                assert typ == "OK", data
        finally:
            conn.logout()

    def create(self, folder: str) -> None:
        conn = self.connect()
        try:
            conn.create(folder)
        finally:
            conn.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, set[str]]:
        """UID → flags of every message in the folder."""
        conn = self.connect()
        try:
            conn.select(folder, readonly=True)
            _typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS)")
            result = {}
            for line in data:
                if not isinstance(line, bytes):
                    continue
                text = line.decode()
                uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                flags = text.split("FLAGS (")[1].split(")")[0].split()
                result[uid] = set(flags)
            return result
        finally:
            conn.logout()


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    if not os.path.exists(DOVECOT):
        if os.environ.get("CI"):
            pytest.fail("dovecot is missing in CI: scripts/ensure-dovecot should install it")
        pytest.skip("Dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    # Not under pytest's (private, 0700) temporary directory: Dovecot's own users read it.
    root = Path(tempfile.mkdtemp(prefix="zina-dovecot."))
    (root / "mail").mkdir()
    # Every user up front: Dovecot may not notice a change of the file within one second.
    (root / "passwd").write_text(
        "".join(f"box{n}:{{PLAIN}}{PASSWORD}\n" for n in range(1, USERS + 1))
    )
    if os.geteuid() == 0:
        # Dovecot refuses to run its processes as root: use the users Debian's package made.
        internal, login = "dovecot", "dovenull"
        account = pwd.getpwnam(internal)
        os.chown(root / "mail", account.pw_uid, account.pw_gid)
    else:
        internal = login = pwd.getpwuid(os.geteuid()).pw_name
        account = pwd.getpwnam(internal)
    root.chmod(0o755)
    group = grp.getgrgid(account.pw_gid).gr_name
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(CONF.format(root=root, port=port, internal=internal, login=login, group=group))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        _wait_for(port, process, root / "dovecot.log")
        yield ImapServer(root, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class SmtpSink:
    """Messages an aiosmtpd server on loopback received: (envelope from, to, raw bytes)."""

    port: int
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
