"""Private state folders: what ensure_private_directory creates is readable by its owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from capital_pipeline.capital.errors import ConfigurationError
from capital_pipeline.capital.private_files import ensure_private_directory


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_parents_it_creates_are_private_too_and_existing_ones_are_left_alone(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    state = tmp_path / "state"

    umask = os.umask(0o022)  # the usual one, which gives mkdir(parents=True)'s parents 0755
    try:
        run = ensure_private_directory(state / "runs" / "run-1")
    finally:
        os.umask(umask)

    assert run.is_dir()
    assert (_mode(state), _mode(state / "runs"), _mode(run)) == (0o700, 0o700, 0o700)
    assert _mode(tmp_path) == 0o755


def test_an_existing_folder_of_ours_is_tightened(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)

    ensure_private_directory(loose)

    assert _mode(loose) == 0o700


def test_a_file_where_the_folder_should_be_is_refused(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("not a folder")

    with pytest.raises(ConfigurationError, match="not a directory"):
        ensure_private_directory(tmp_path / "state")
