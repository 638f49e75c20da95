"""A disk that fills up mid-ingest: one line that says so (Chroma's own words were "Error in compaction"), and
the next run, with space freed, completes the collection without losing or duplicating a paper."""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import BUNDLED, env_for, paperrag_cmd

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                                           capture_output=True).returncode:
        pytest.skip("needs root to mount a 3 MB tmpfs")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_named_and_the_next_run_completes(small_disk, tmp_path):
    env = {**env_for(tmp_path), "PAPERRAG_STORE__PERSIST_DIR": str(small_disk / "chroma")}
    ingest = [*paperrag_cmd(), "ingest", "--quiet", str(BUNDLED)]
    out = subprocess.run(ingest, env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert f"the disk holding {small_disk / 'chroma'} is full" in lines[0] and "free some space" in lines[0]

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    out = subprocess.run(ingest, env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "87 papers in the index" in out.stdout
    out = subprocess.run([*paperrag_cmd(), "ask", "What is D-Former?"], env=env, capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert out.returncode == 0 and "D-Former" in out.stdout, out.stderr
