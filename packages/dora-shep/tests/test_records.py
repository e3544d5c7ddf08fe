from __future__ import annotations

import json
from pathlib import Path

import pytest

from dora_shep.conf import DoraConfig
from dora_shep.errors import CorruptFileError
from dora_shep.records import JobRecord, read_job_record, write_job_record
from dora_shep.xp import XP, init_xp_folder


def make_xp(outputs: Path) -> XP:
    xp = XP(DoraConfig(dir=outputs), None, [], delta=[])
    init_xp_folder(xp)
    return xp


def test_job_json_has_the_0_1_13_fields(outputs: Path) -> None:
    xp = make_xp(outputs)
    record = JobRecord(
        "local-3", "local", ["local-3", "local-4"], [], {"gpus": 1}, 12.5, "/x/local-3.log"
    )
    write_job_record(xp, record)
    data = json.loads(xp._job_file.read_text())
    assert data["job_id"] == "local-3"
    assert data["array_job_ids"] == ["local-3", "local-4"]
    assert data["dependent_job_ids"] == []
    assert data["slurm_config"] == {"gpus": 1}
    assert data["backend"] == "local" and data["submitted_at"] == 12.5
    assert read_job_record(xp) == record


def test_reads_a_record_written_by_dora_search(outputs: Path) -> None:
    xp = make_xp(outputs)
    xp._job_file.write_text(
        json.dumps(
            {
                "job_id": "1234_1",
                "array_job_ids": ["1234_0", "1234_1"],
                "dependent_job_ids": [],
                "slurm_config": {"gpus": 8},
            }
        )
    )
    record = read_job_record(xp)
    assert record is not None
    assert (record.job_id, record.backend, record.log) == ("1234_1", "slurm", None)
    assert record.all_job_ids == ["1234_1"]


def test_no_record_means_never_submitted(outputs: Path) -> None:
    assert read_job_record(make_xp(outputs)) is None


@pytest.mark.parametrize("text", ["{", "[]", '{"array_job_ids": []}'])
def test_damaged_record_is_a_clear_error(outputs: Path, text: str) -> None:
    xp = make_xp(outputs)
    xp._job_file.write_text(text)
    with pytest.raises(CorruptFileError, match="job.json"):
        read_job_record(xp)
