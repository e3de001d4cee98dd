"""platform/ is a source folder: the standard library's platform module must still work."""

import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_stdlib_platform_module_is_not_shadowed():
    assert platform.system()
    assert Path(platform.__file__).parent != ROOT / "platform"


def test_stdlib_platform_module_works_inside_manage_py():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy, sys; sys.argv=['manage.py','shell','--verbosity','0','-c','import platform; print(platform.system())']; runpy.run_path('manage.py', run_name='__main__')",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DEBUG": "true", "LOG_LEVEL": "WARNING", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == platform.system()
