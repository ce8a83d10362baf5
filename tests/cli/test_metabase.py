"""``automl metabase``: its commands through click's runner, bad input as one sentence."""

from click.testing import CliRunner

from automl.cli.main import main


def test_metabase_commands_are_listed_and_documented():
    result = CliRunner().invoke(main, ["metabase", "--help"])
    assert result.exit_code == 0 and "build" in result.output and "add" in result.output
    build = CliRunner().invoke(main, ["metabase", "build", "--help"])
    assert "--limit-minutes" in build.output and "--out" in build.output


def test_adding_a_folder_that_is_not_a_run_is_one_sentence_and_exit_2(tmp_path):
    missing = CliRunner().invoke(main, ["metabase", "add", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and missing.output.strip() == f"Error: Run directory not found: {tmp_path / 'nope'}."
    empty = CliRunner().invoke(main, ["metabase", "add", str(tmp_path), "--to", str(tmp_path / "mb")])
    assert empty.exit_code == 2 and "is not an automl run directory" in empty.output
    assert "Traceback" not in empty.output and not (tmp_path / "mb").exists()


def test_a_manifest_that_does_not_exist_is_one_sentence(tmp_path):
    result = CliRunner().invoke(main, ["metabase", "build", str(tmp_path / "m.csv"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and result.output.startswith("Error: ") and "Traceback" not in result.output
