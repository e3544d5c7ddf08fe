"""Writes the job.pkl fixtures the way dora-search 0.1.13 does (`pickle.dump` of submitit
`SlurmJob`s), with the oracle's submitit. Run with the oracle venv:

    .oracle/bin/python packages/dora-shep/tests/data/job_pkl/make_job_pkl.py

No Slurm is needed: a SlurmJob is built from a folder and an id, as submitit does right
after sbatch answers.
"""

import pickle
import sys
from pathlib import Path

from submitit import SlurmJob

HERE = Path(__file__).resolve().parent
FOLDER = "/old/outputs/xps/{sig}/submitit"


def job(job_id, tasks=(0,), sig="0123abcd"):
    return SlurmJob(folder=FOLDER.format(sig=sig), job_id=job_id, tasks=tasks)


def dump(name, content):
    with open(HERE / name, "wb") as out:
        pickle.dump(content, out)


def main():
    single = job("1234", tasks=(0, 1))
    dump("single.pkl", (single, [single], []))
    array = [job(f"2000_{i}", sig="arrays/x") for i in range(3)]
    dump("array.pkl", (array[1], array, []))
    first, deps = job("3000"), [job("3001"), job("3002")]
    dump("dependents.pkl", (first, [first], deps))
    two = job("4000")
    dump("two_tuple.pkl", (two, [two]))
    dump("bare.pkl", job("5000"))
    dump("four_tuple.pkl", (two, [two], [], None))
    print("submitit", sys.modules["submitit"].__version__)


if __name__ == "__main__":
    main()
