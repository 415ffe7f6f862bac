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


def test_closed_pipe_is_quiet(tmp_path):
    """`pet2rep ... | head`: the reader goes away before the output is written; no BrokenPipeError traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pet2rep", "synth", str(tmp_path / "c"), "--n", "1", "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # before the child has written anything
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err.decode()
    assert proc.returncode == 141
