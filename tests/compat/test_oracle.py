"""Signatures, short names and launcher renderings equal dora-search 0.1.13's, case by case.

The cases come from tools/compat_cases.py (fixed seed); see conftest.py for how both
sides are run. Each test names one contract; a failure prints the first mismatches
(input, then the oracle's and our answer) and writes all of them beside the results.
"""

from __future__ import annotations

from compat_harness import Run


def _refused(run: Run, section: str) -> int:
    results = run.oracle[section].values()
    return sum(1 for result in results if "error" in result or "render_error" in result)


def test_the_oracle_is_dora_search_0_1_13_and_ours_is_not(compat_run: Run) -> None:
    assert compat_run.oracle["impl"] == "dora-search 0.1.13"
    assert compat_run.ours["impl"].startswith("dora-cli ")


def test_there_are_enough_cases_and_most_are_accepted(compat_run: Run) -> None:
    counts = {section: len(compat_run.oracle[section]) for section in compat_run.oracle
              if section.startswith(("hydra_", "argparse_"))}
    assert counts["hydra_argv"] >= 1000, counts
    assert counts["argparse_argv"] >= 1000, counts
    assert counts["hydra_launcher"] >= 250 and counts["argparse_launcher"] >= 250, counts
    # Refused cases compare cheaply (both refuse); most cases must exercise a real delta.
    for section in ("hydra_argv", "hydra_launcher", "argparse_argv"):
        assert _refused(compat_run, section) < 0.2 * counts[section], section
    signatures = {result["sig"] for result in compat_run.oracle["hydra_argv"].values()
                  if "sig" in result}
    assert len(signatures) > 0.6 * counts["hydra_argv"]


def test_most_hydra_cases_take_our_fast_path(compat_run: Run) -> None:
    """The oracle must check the path grids use: one composition per group combination."""
    paths = [
        compat_run.ours[section].get(key, {}).get("path")
        for section in ("hydra_argv", "hydra_launcher")
        for key, result in compat_run.oracle[section].items() if "sig" in result
    ]
    assert any(paths), (
        "our results say nothing about the Hydra fast path: tools/compat_eval.py reads "
        "`main._fast.hits`; update it if the fast path moved")
    fast = paths.count("fast")
    assert fast >= 0.5 * len(paths), f"only {fast} of {len(paths)} cases took the fast path"


def test_hydra_signatures_match_dora_search(compat_run: Run) -> None:
    compat_run.check("hydra_argv")


def test_hydra_short_names_match_dora_search(compat_run: Run) -> None:
    compat_run.check("hydra_argv", names=True)


def test_hydra_launcher_values_render_and_sign_like_dora_search(compat_run: Run) -> None:
    compat_run.check("hydra_launcher")
    compat_run.check("hydra_launcher", names=True)


def test_hydra_value_to_argv_renders_like_dora_search(compat_run: Run) -> None:
    compat_run.check("hydra_render")


def test_argparse_signatures_match_dora_search(compat_run: Run) -> None:
    compat_run.check("argparse_argv")


def test_argparse_short_names_match_dora_search(compat_run: Run) -> None:
    compat_run.check("argparse_argv", names=True)


def test_argparse_launcher_values_render_and_sign_like_dora_search(compat_run: Run) -> None:
    compat_run.check("argparse_launcher")
    compat_run.check("argparse_launcher", names=True)


def test_argparse_value_to_argv_renders_like_dora_search(compat_run: Run) -> None:
    compat_run.check("argparse_render")
