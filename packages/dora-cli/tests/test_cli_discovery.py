"""How `dora` finds the project: auto-detection, -P, -M, environment variables, errors."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import Dora, write_project


def test_the_only_package_with_a_train_module_is_found(project: Dora) -> None:
    proc = project("grid")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "Grids available:"
    assert proc.stdout.split()[2:] == ["bad", "badarg", "boom", "g", "noexp", "plain", "sub.g1"]


def test_no_package_here_is_a_clear_error(tmp_path: Path) -> None:
    proc = Dora(tmp_path)("grid")
    assert proc.returncode == 1
    assert proc.stderr.startswith("FATAL: Could not find a training package in")
    for hint in (str(tmp_path), "train.py", "-P", "DORA_PACKAGE", "-M", "DORA_MAIN_MODULE"):
        assert hint in proc.stderr
    assert "Traceback" not in proc.stderr


def test_several_candidate_packages_are_listed(tmp_path: Path) -> None:
    write_project(tmp_path, "alpha")
    write_project(tmp_path, "beta")
    proc = Dora(tmp_path)("grid")
    assert proc.returncode == 1
    assert "Several training packages" in proc.stderr and "alpha, beta" in proc.stderr


def test_dash_p_and_dora_package_choose_among_several(tmp_path: Path) -> None:
    write_project(tmp_path, "alpha")
    write_project(tmp_path, "beta")
    dora = Dora(tmp_path)
    for proc in (dora("-P", "beta", "grid"), dora("--package", "beta", "grid"),
                 dora("grid", DORA_PACKAGE="beta")):
        assert proc.returncode == 0, proc.stderr
        assert "g" in proc.stdout.split()


def test_an_unknown_package_name_is_a_clear_error(project: Dora) -> None:
    proc = project("-P", "nothere", "grid")
    assert proc.returncode == 1
    assert "Could not import nothere.train: there is no module nothere" in proc.stderr


def test_main_module_from_dash_m_or_the_environment(tmp_path: Path) -> None:
    write_project(tmp_path, "proj", module="solver")
    dora = Dora(tmp_path)
    assert dora("grid").returncode == 1  # no train.py: nothing detected
    for proc in (dora("-M", "solver", "grid"), dora("--main_module", "solver", "grid"),
                 dora("grid", DORA_MAIN_MODULE="solver")):
        assert proc.returncode == 0, proc.stderr


def test_a_module_without_main_or_an_undecorated_main_is_explained(project: Dora) -> None:
    (project.cwd / "proj" / "nomain.py").write_text("x = 1\n")
    (project.cwd / "proj" / "plain.py").write_text("def main():\n    pass\n")
    proc = project("-M", "nomain", "grid")
    assert proc.returncode == 1 and "has no `main`" in proc.stderr
    proc = project("-M", "plain", "grid")
    assert proc.returncode == 1
    assert "is a function, not a decorated main" in proc.stderr
    assert "@argparse_main" in proc.stderr


def test_an_import_error_in_the_training_module_shows_its_traceback(project: Dora) -> None:
    (project.cwd / "proj" / "broken.py").write_text("import json\nimport not_a_module_xyz\n")
    proc = project("-M", "broken", "grid")
    assert proc.returncode == 1
    assert "broken.py\", line 2" in proc.stderr
    assert "No module named 'not_a_module_xyz'" in proc.stderr


def test_global_flags_must_come_before_the_command(project: Dora) -> None:
    proc = project("grid", "-P", "proj")
    assert proc.returncode == 2 and "unrecognized arguments" in proc.stderr


def test_help_and_missing_command(project: Dora) -> None:
    proc = project("--help")
    assert proc.returncode == 0 and "run" in proc.stdout and "grid" in proc.stdout
    assert project().returncode == 2


def test_a_package_inside_a_project_folder_gets_a_hint_to_run_from_there(
    tmp_path: Path
) -> None:
    # examples/digits/ is a project folder (no __init__.py); the package is digits/digits/
    examples = tmp_path / "examples"
    write_project(examples / "digits", "digits")
    project_folder = examples / "digits"
    dora = Dora(examples)
    proc = dora("-P", "digits", "grid")
    assert proc.returncode == 1
    assert proc.stderr.startswith("FATAL: Could not import digits.train: there is no module")
    assert proc.stderr.rstrip().endswith(
        f"Hint: digits/train.py is in a sub-folder: run dora from {project_folder} "
        "(`cd digits`).")
    proc = dora("grid")  # nothing to detect here, one level up
    assert proc.returncode == 1
    assert proc.stderr.startswith("FATAL: Could not find a training package in")
    assert proc.stderr.rstrip().endswith(
        f"Hint: a sub-folder holds a package with a train.py: run dora from {project_folder} "
        "(`cd digits`).")
    assert Dora(project_folder)("-P", "digits", "grid").returncode == 0  # the hint works


def test_no_hint_when_no_sub_folder_holds_the_package(project: Dora) -> None:
    proc = project("-P", "nothere", "grid")
    assert proc.returncode == 1 and "Hint:" not in proc.stderr
    (project.cwd / "other" / "nothere").mkdir(parents=True)  # no train.py in it
    proc = project("-P", "nothere", "grid")
    assert proc.returncode == 1 and "Hint:" not in proc.stderr
