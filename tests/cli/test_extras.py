"""infragate's optional parts are extras: the core installs what design, rules, audits and plan/apply need, and
a command that needs a part that is not installed says which extra to install (exit 2), never an ImportError."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from infragate.extras import EXTRA_OF, WHAT
from tests.conftest import ROOT, WEBSHOP

# the distribution each extra names -> the module it installs
MODULE_OF = {"hdrhistogram": "hdrh", "dnspython": "dns", "zaproxy": "zapv2", "python-multipart": "multipart"}
HIDER = """
import importlib.abc, os, sys

class _Hide(importlib.abc.MetaPathFinder):
    hidden = set(os.environ.get("INFRAGATE_TEST_HIDE", "").split(","))

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.hidden:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Hide())
"""


def _requirement_name(requirement: str) -> str:
    return requirement.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()


def test_every_extra_is_known_by_its_modules_and_all_is_every_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = {name: deps for name, deps in project["optional-dependencies"].items() if name not in ("test", "all")}
    assert set(extras) == set(WHAT)
    for extra, requirements in extras.items():
        for requirement in requirements:
            name = _requirement_name(requirement)
            assert EXTRA_OF[MODULE_OF.get(name, name)] == extra, requirement
    assert project["optional-dependencies"]["all"] == [f"infragate[{','.join(extras)}]"]
    core = {_requirement_name(r) for r in project["dependencies"]}
    assert not core & {_requirement_name(r) for deps in extras.values() for r in deps}, "a library is in one place"


@pytest.mark.parametrize(
    ("hidden", "command", "extra"),
    [
        ("fastapi,uvicorn", ("serve",), "team"),
        ("moto", ("aws-local", "start"), "embedded"),
        ("locust", ("stress", "--env", "staging", "-d", str(WEBSHOP)), "stress"),
    ],
)
def test_a_command_whose_extra_is_missing_names_it(
    tmp_path: Path, hidden: str, command: tuple[str, ...], extra: str
) -> None:
    (tmp_path / "sitecustomize.py").write_text(HIDER)
    environment = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "INFRAGATE_TEST_HIDE": hidden,
        "INFRAGATE_HOME": str(tmp_path / "home"),
        "INFRAGATE_SERVER": "off",
    }
    done = subprocess.run(
        [sys.executable, "-m", "infragate", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environment,
    )
    assert done.returncode == 2, done.stderr
    assert f"'{extra}' extra" in done.stderr and f"pip install 'infragate[{extra}]'" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
