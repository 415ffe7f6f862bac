import subprocess
import sys

import pytest

from pet2rep import __version__
from pet2rep.cli import main


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: pet2rep" in capsys.readouterr().out


def test_module_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "pet2rep", "--help"], capture_output=True, text=True, check=True)
    assert "PET2Rep" in out.stdout
