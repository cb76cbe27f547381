"""Where the harness finds the system tools it drives: runuser, PostgreSQL, Chromium, nginx.

Each tool is looked for first in its override variable, then at the absolute places Debian (and the
usual alternatives) install it, and only last through PATH: CI and cron run with a minimal PATH
(often without ``/usr/sbin``), and a tool found only through PATH would then go missing. A tool
that is nowhere raises :class:`ToolMissing`, whose message names the package to install.
"""

from __future__ import annotations

import glob
import os
import shutil
from dataclasses import dataclass


class ToolMissing(RuntimeError):
    """A system tool the command needs is not installed (the message says which package to install)."""


@dataclass(frozen=True)
class Tool:
    name: str  # what the messages call it
    variable: str  # the override: an absolute path to the program (or, for PostgreSQL, its bin directory)
    places: tuple[str, ...]  # absolute paths or glob patterns, best first
    install: str  # what to install where it is missing
    path_names: tuple[str, ...] = ()  # names tried through PATH, last

    def find(self) -> str:
        explicit = os.environ.get(self.variable)
        if explicit:
            if _usable(explicit):
                return explicit
            raise ToolMissing(f"{self.variable}={explicit} is not an executable {self.name}; "
                              f"point it at one, or unset it and {self.install}")
        for pattern in self.places:
            for path in sorted(glob.glob(pattern), reverse=True):  # the newest version first
                if _usable(path):
                    return path
        for name in self.path_names:
            found = shutil.which(name)
            if found:
                return found
        raise ToolMissing(f"{self.name} not found (looked at {', '.join(self.places)} and PATH): "
                          f"{self.install}, or set {self.variable}")


def _usable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


RUNUSER = Tool("runuser", "FIELDOPS_RUNUSER", ("/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"),
               "install util-linux (apt-get install util-linux)", ("runuser",))
CHROMIUM = Tool("Chromium", "FIELDOPS_CHROMIUM",
                ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
                 "/usr/bin/google-chrome-stable", "/snap/bin/chromium"),
                "install Debian's chromium (apt-get install chromium)",
                ("chromium", "chromium-browser", "google-chrome"))
NGINX = Tool("nginx", "FIELDOPS_NGINX", ("/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx",
                                         "/usr/local/nginx/sbin/nginx"),
             "install nginx (apt-get install nginx-light)", ("nginx",))
# the PostgreSQL server programs live in a versioned directory that is never on PATH on Debian
PG_BIN_PLACES = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin")
PG_INSTALL = "install the PostgreSQL server (apt-get install postgresql)"


def runuser() -> str:
    return RUNUSER.find()


def chromium() -> str:
    return CHROMIUM.find()


def nginx() -> str:
    return NGINX.find()


def pg_bin() -> str:
    """The directory of the PostgreSQL server programs (initdb, pg_ctl, psql, pg_dump).

    ``FIELDOPS_PG_BIN`` overrides (``PG_BIN``, its older name, too); otherwise the newest version
    installed under the usual directories, then the directory of an ``initdb`` on PATH.
    """
    for variable in ("FIELDOPS_PG_BIN", "PG_BIN"):
        explicit = os.environ.get(variable)
        if explicit:
            if _usable(os.path.join(explicit, "initdb")):
                return explicit
            raise ToolMissing(f"{variable}={explicit} holds no initdb; point it at the PostgreSQL server's "
                              f"bin directory, or unset it and {PG_INSTALL}")
    for pattern in PG_BIN_PLACES:
        found = sorted(glob.glob(pattern), key=_version_key, reverse=True)
        for path in found:
            if _usable(os.path.join(path, "initdb")):
                return path
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise ToolMissing(f"PostgreSQL server programs not found (looked in {', '.join(PG_BIN_PLACES)} and PATH): "
                      f"{PG_INSTALL}, or set FIELDOPS_PG_BIN to their bin directory")


def _version_key(path: str):
    """/usr/lib/postgresql/15/bin sorts above /usr/lib/postgresql/9/bin."""
    digits = "".join(ch if ch.isdigit() else " " for ch in path).split()
    return [int(d) for d in digits], path
