"""The repository's own promises: two commands, CI = make test, valid compose file."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_readme_starts_with_the_two_commands():
    text = (REPO / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()
                if line.strip() and not line.startswith("export")]
    assert commands == ["make run", "make test"]


def test_ci_runs_make_test():
    assert re.search(r"^make test$", (REPO / ".ci" / "run").read_text(), re.M)
    assert "make test" in (REPO / ".github" / "workflows" / "ci.yml").read_text()


def _addons_of_common_sh():
    return re.search(r'^ODOO_ADDONS="([^"]+)"', (REPO / "scripts" / "common.sh").read_text(),
                     re.M).group(1)


def test_every_addon_is_installed_by_make_run():
    installed = set(_addons_of_common_sh().split(","))
    addons = {p.parent.name for p in (REPO / "addons").glob("*/__manifest__.py")}
    assert addons <= installed


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")
def test_docker_compose_is_valid_and_installs_the_same_addons():
    out = subprocess.run(["docker-compose", "-f", str(REPO / "docker-compose.yml"), "config"],
                         check=True, capture_output=True, text=True).stdout
    assert "odoo:18.0" in (REPO / "docker" / "Dockerfile").read_text()
    assert "postgres:16" in out
    for addons in re.findall(r"ODOO_ADDONS: (\S+)", out):
        assert addons == _addons_of_common_sh()
    assert "scripts/install-python-requirements.sh" in (REPO / "docker" / "Dockerfile").read_text()


def test_ruff_is_clean():
    ruff = Path(__import__("sys").executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is installed by test-requirements.txt")
    result = subprocess.run([str(ruff), "check", "addons", "tests", "bench", "scripts"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


ADDON_FILES = sorted(p for p in (REPO / "addons").rglob("*.py"))


def test_every_addon_python_file_starts_with_the_oca_license_header():
    header = ("# Copyright 2026 Logistics Sync contributors\n"
              "# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).\n")
    missing = [str(p.relative_to(REPO)) for p in ADDON_FILES if not p.read_text().startswith(header)]
    assert not missing


def test_no_addon_python_file_is_longer_than_about_400_lines():
    long = {str(p.relative_to(REPO)): n for p in ADDON_FILES
            if (n := len(p.read_text().splitlines())) > 430}
    assert not long


def test_addon_readme_rst_is_generated_from_the_fragments():
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "gen-addon-readme.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_every_addon_has_its_pot_and_oca_readme_fragments():
    for manifest in (REPO / "addons").glob("*/__manifest__.py"):
        addon = manifest.parent
        assert (addon / "i18n" / f"{addon.name}.pot").exists(), addon.name
        for fragment in ("DESCRIPTION", "CONTRIBUTORS"):
            assert (addon / "readme" / f"{fragment}.md").exists(), (addon.name, fragment)
