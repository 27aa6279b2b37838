"""Atomic writes: the target holds the old bytes or the new ones, never a mix, and no temp file is left."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from core_helpers import assert_one_sentence, noise_image
from editor.core import atomic, image_io
from editor.core.atomic import atomic_path, atomic_write_bytes
from editor.core.errors import ImageError, VeilError, WriteError

ORIGINAL = b"the original photo bytes"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def existing(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(ORIGINAL)
    return path


def names_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_creates_and_replaces(tmp_path, existing):
    assert atomic_write_bytes(existing, b"new") == existing
    assert existing.read_bytes() == b"new"
    fresh = atomic_write_bytes(str(tmp_path / "fresh.bin"), b"\x00" * 10)
    assert fresh.read_bytes() == b"\x00" * 10
    assert names_in(tmp_path) == ["fresh.bin", "photo.png"]


def test_new_file_gets_default_permissions_and_a_replaced_file_keeps_its_own(tmp_path, existing):
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(atomic_write_bytes(tmp_path / "new.bin", b"x").stat().st_mode) == 0o666 & ~umask
    existing.chmod(0o640)
    atomic_write_bytes(existing, b"y")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640


def test_exception_mid_write_leaves_the_original_and_no_temp(tmp_path, existing):
    with pytest.raises(RuntimeError, match="encoder crashed"):
        with atomic_path(existing) as tmp:
            assert tmp.parent == existing.parent and tmp.exists()
            tmp.write_bytes(b"half of the new fi")
            raise RuntimeError("encoder crashed")
    assert existing.read_bytes() == ORIGINAL
    assert names_in(tmp_path) == ["photo.png"]


def test_failing_rename_leaves_the_original_and_no_temp(tmp_path, existing, monkeypatch):
    def refuse(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(WriteError) as err:
        atomic_write_bytes(existing, b"new bytes")
    assert str(err.value) == "Could not save photo.png: input/output error."
    assert existing.read_bytes() == ORIGINAL
    assert names_in(tmp_path) == ["photo.png"]


def test_full_disk_is_one_sentence(tmp_path, existing):
    with pytest.raises(WriteError) as err:
        with atomic_path(existing):
            raise OSError(errno.ENOSPC, "No space left on device")
    assert str(err.value) == "Could not save photo.png: the disk is full."
    assert isinstance(err.value, VeilError)
    assert existing.read_bytes() == ORIGINAL
    assert names_in(tmp_path) == ["photo.png"]


def test_encoding_failure_never_touches_the_file(tmp_path, existing):
    with pytest.raises(ImageError):
        image_io.save_image(existing, noise_image(4, 4), format="gif")
    assert existing.read_bytes() == ORIGINAL
    assert names_in(tmp_path) == ["photo.png"]


def test_save_image_replaces_atomically(tmp_path, existing):
    image_io.save_image(existing, noise_image(4, 4))
    assert image_io.load_image(existing).pixels.shape == (4, 4, 3)
    assert names_in(tmp_path) == ["photo.png"]


def test_missing_folder(tmp_path):
    target = tmp_path / "no" / "such" / "photo.png"
    with pytest.raises(WriteError) as err:
        image_io.save_image(target, noise_image(4, 4))
    assert str(err.value) == f"Could not save photo.png: the folder {target.parent} does not exist."
    assert_one_sentence(str(err.value), "photo.png")
    assert not (tmp_path / "no").exists()


def test_target_is_a_folder(tmp_path):
    (tmp_path / "photo.png").mkdir()
    with pytest.raises(WriteError, match="a folder with that name already exists"):
        atomic_write_bytes(tmp_path / "photo.png", b"x")


def test_parent_is_a_file(tmp_path, existing):
    with pytest.raises(WriteError, match="is a file, not a folder"):
        atomic_write_bytes(existing / "inside.png", b"x")


def test_symlink_is_written_through(tmp_path, existing):
    link = tmp_path / "link.png"
    link.symlink_to(existing)
    atomic_write_bytes(link, b"through the link")
    assert link.is_symlink() and existing.read_bytes() == b"through the link"


@pytest.mark.skipif(IS_ROOT, reason="root may write anywhere")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(WriteError) as err:
            atomic_write_bytes(folder / "photo.png", b"x")
        assert str(err.value) == f"Could not save photo.png: you do not have permission to write to {folder}."
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(IS_ROOT, reason="root may write anywhere")
def test_read_only_file_is_not_replaced(tmp_path, existing):
    existing.chmod(0o444)
    with pytest.raises(WriteError, match="the file is read-only"):
        atomic_write_bytes(existing, b"x")
    assert existing.read_bytes() == ORIGINAL
