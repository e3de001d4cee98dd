"""`make run` serves on the port AGORA_PORT names (8000 unless set), as honcho starts it."""

import os
import subprocess
from pathlib import Path

import pytest
from honcho.environ import expand_processes, parse_procfile

PROCFILE = Path(__file__).resolve().parents[1] / "deploy" / "Procfile.dev"


def web_command_as_started(**environment) -> list[str]:
    """The web process's command line after the shell honcho runs it in expands it."""
    processes = parse_procfile(PROCFILE.read_text()).processes
    (web,) = [p for p in expand_processes(processes, env=environment) if p.name == "web.1"]
    env = {"PATH": os.environ["PATH"], **web.env}
    # printf prints each word the shell would pass to uvicorn on a line of its own.
    shown = subprocess.run(  # noqa: S603
        ["/bin/sh", "-c", f"printf '%s\\n' {web.cmd}"],  # noqa: S607
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return shown.stdout.split()


def port_of(words: list[str]) -> str:
    return words[words.index("--port") + 1]


@pytest.mark.parametrize(
    ("environment", "port"),
    [
        pytest.param({}, "8000", id="default"),
        pytest.param({"AGORA_PORT": "8080"}, "8080", id="chosen"),
    ],
)
def test_make_run_serves_on_the_chosen_port(environment, port):
    assert port_of(web_command_as_started(**environment)) == port
