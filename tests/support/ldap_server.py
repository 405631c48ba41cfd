"""A real OpenLDAP server (Debian ``slapd``) for the tests: a province's directory with
people, groups and a read-only service account, on a random loopback port.

The data is loaded offline with ``slapadd`` and the server started from a ``slapd.conf``
of its own in a temp dir; nothing of the machine's own slapd is used. The access rules are
a real directory's: anonymous may only bind, the service account may read, a password is
readable by nobody. ``pause``/``resume`` stop and continue the process (SIGSTOP): the
kernel still accepts connections, nothing answers, which is what a hung directory does.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import ldap3

from controller.bench.harness import free_port
from tests.support.servers import stop, wait_listening

SUFFIX = "dc=tinh,dc=vn"
SERVICE_DN = f"cn=diemcau,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-Pa55"
ROOT_DN, ROOT_PASSWORD = f"cn=root,{SUFFIX}", "root-Pa55"  # the tests' way to change the directory
PASSWORD = "Directory-Pa55"  # every person's
# username -> (full name, groups): lan watches the province, minh is H01's technician,
# hoa is only in a group nobody mapped, and two entries share uid "twin" (a bad directory)
PEOPLE = {
    "lan": ("Nguyễn Thị Lan", ["ioc-tinh"]),
    "minh": ("Trần Văn Minh", ["kythuat-h01", "ioc-tinh"]),
    "hoa": ("Lê Thị Hoa", ["ketoan"]),
    "twin": ("Twin One", []),
}


def group_dn(name: str) -> str:
    return f"cn={name},ou=groups,{SUFFIX}"


def _value(attr: str, text: str) -> str:
    """An LDIF line; non-ASCII values base64-encoded as RFC 2849 requires."""
    if text.isascii():
        return f"{attr}: {text}"
    return f"{attr}:: {base64.b64encode(text.encode()).decode()}"


def _ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: tinh\no: Tinh",
        f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people",
        f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: diemcau\nuserPassword: {SERVICE_PASSWORD}",
    ]
    members: dict[str, list[str]] = {}
    for uid, (name, groups) in PEOPLE.items():
        entries.append(
            f"dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
            f"{_value('cn', name)}\nsn: {uid}\nuserPassword: {PASSWORD}"
        )
        for g in groups:
            members.setdefault(g, []).append(f"uid={uid},ou=people,{SUFFIX}")
    # a second person with uid twin, elsewhere: a filter must not pick one of the two
    entries.append(
        f"dn: uid=twin,ou=services,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: twin\ncn: Twin Two\n"
        f"sn: twin\nuserPassword: {PASSWORD}"
    )
    for g, dns in members.items():
        entries.append(
            # groupOfNames must have a member: a placeholder, as real directories keep one
            f"dn: {group_dn(g)}\nobjectClass: groupOfNames\ncn: {g}\nmember: cn=placeholder,{SUFFIX}\n"
            + "\n".join(f"member: {m}" for m in dns)
        )
    return "\n\n".join(entries) + "\n"


def _conf(base: str) -> str:
    return f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {base}/slapd.pid
database mdb
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {base}/db
maxsize 16777216
access to attrs=userPassword
  by anonymous auth
  by self write
  by * none
access to *
  by dn.exact="{SERVICE_DN}" read
  by self read
  by * none
"""


@dataclass
class LdapServer:
    url: str
    process: subprocess.Popen[bytes]

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def leave_group(self, uid: str, group: str) -> None:
        """As the directory's administrator: ``uid`` is no longer a member of ``group``."""
        self._member(uid, group, ldap3.MODIFY_DELETE)

    def join_group(self, uid: str, group: str) -> None:
        self._member(uid, group, ldap3.MODIFY_ADD)

    def _member(self, uid: str, group: str, change: str) -> None:
        conn = ldap3.Connection(ldap3.Server(self.url), ROOT_DN, ROOT_PASSWORD, auto_bind=True)
        member = f"uid={uid},ou=people,{SUFFIX}"
        assert conn.modify(group_dn(group), {"member": [(change, [member])]}), conn.result
        conn.unbind()


@contextmanager
def ldap_server() -> Iterator[LdapServer]:
    """A running slapd with the province's people and groups; stopped and wiped after."""
    if shutil.which("slapd", path="/usr/sbin:/usr/bin") is None:
        raise RuntimeError("slapd is not installed: run `make setup`")
    base = tempfile.mkdtemp(prefix="diemcau-ldap-")
    os.makedirs(f"{base}/db")
    with open(f"{base}/slapd.conf", "w") as f:
        f.write(_conf(base))
    with open(f"{base}/data.ldif", "w") as f:
        f.write(_ldif())
    subprocess.run(
        ["/usr/sbin/slapadd", "-f", f"{base}/slapd.conf", "-l", f"{base}/data.ldif"],
        check=True,
        capture_output=True,
    )
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    proc = subprocess.Popen(
        ["/usr/sbin/slapd", "-f", f"{base}/slapd.conf", "-h", url + "/", "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = LdapServer(url, proc)
    try:
        wait_listening(proc, port, "slapd")
        yield server
    finally:
        server.resume()
        stop(proc)
        shutil.rmtree(base, ignore_errors=True)
