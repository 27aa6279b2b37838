"""The audit log: hash-chained JSON lines; any edit, removal or truncation is found by verify()."""

from __future__ import annotations

import json

import pytest

from editor.vault.audit import ACTIONS, AuditLog
from editor.vault.errors import AuditError

KEY_ID = "ab" * 16


@pytest.fixture
def log(tmp_path):
    audit = AuditLog(tmp_path)
    audit.append("key.create", key_id=KEY_ID)
    audit.append("seal", file_sha256="1" * 64, key_id=KEY_ID, faces=[1, 2])
    audit.append("recover", file_sha256="1" * 64, key_id=KEY_ID, faces=[2])
    audit.append("key.delete", key_id=KEY_ID)
    return audit


def lines(audit: AuditLog) -> list[str]:
    return audit.path.read_text().splitlines(keepends=True)


def test_entries_are_chained_and_verify(log):
    report = log.verify()
    assert report.ok and report.entries == 4, report.message
    entries = log.entries()
    assert [e.action for e in entries] == ["key.create", "seal", "recover", "key.delete"]
    assert entries[0].prev == "0" * 64
    assert all(b.prev == a.hash for a, b in zip(entries, entries[1:]))
    assert entries[1].faces == [1, 2] and entries[1].file_sha256 == "1" * 64


def test_entries_hold_only_the_documented_fields(log):
    for line in lines(log):
        assert set(json.loads(line)) == {"seq", "time", "action", "file_sha256", "key_id", "faces", "prev", "hash"}


def test_edited_entry_is_detected(log):
    text = lines(log)
    entry = json.loads(text[1])
    entry["faces"] = [1]
    text[1] = json.dumps(entry, separators=(",", ":")) + "\n"
    log.path.write_text("".join(text))
    report = log.verify()
    assert not report.ok and report.entries == 1 and "line 2" in report.message


def test_edited_entry_with_recomputed_hash_breaks_the_next_link(log):
    from editor.vault.audit import _entry_hash

    text = lines(log)
    entry = json.loads(text[1])
    entry["key_id"] = "cd" * 16
    entry["hash"] = _entry_hash(entry)
    text[1] = json.dumps(entry, separators=(",", ":")) + "\n"
    log.path.write_text("".join(text))
    report = log.verify()
    assert not report.ok and "line 3" in report.message


def test_deleted_entry_is_detected(log):
    text = lines(log)
    del text[2]
    log.path.write_text("".join(text))
    assert not log.verify().ok


def test_removed_last_entries_are_detected(log):
    log.path.write_text("".join(lines(log)[:2]))
    report = log.verify()
    assert not report.ok and "removed from the end" in report.message


def test_deleted_log_is_detected(log):
    log.path.unlink()
    assert not log.verify().ok


def test_torn_last_line_is_detected(log):
    data = log.path.read_bytes()
    log.path.write_bytes(data[:-20])
    assert not log.verify().ok


def test_appending_continues_the_chain_after_reopening(log, tmp_path):
    again = AuditLog(tmp_path)
    entry = again.append("export", file_sha256="2" * 64)
    assert entry.seq == 5 and again.verify().ok


def test_unknown_actions_and_damaged_lines(tmp_path, log):
    with pytest.raises(ValueError):
        log.append("launch-missiles")
    assert "recover" in ACTIONS
    log.path.write_text(log.path.read_text() + "{not json\n")
    with pytest.raises(AuditError):
        log.entries()


def test_empty_log_verifies(tmp_path):
    report = AuditLog(tmp_path / "none").verify()
    assert report.ok and report.entries == 0
