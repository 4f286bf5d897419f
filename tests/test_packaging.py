"""Each addon packages as OCA 18.0 addons do: a whool pyproject.toml, and
`pip wheel addons/<addon>` builds odoo_addon_<addon>-18.0.*.whl whose metadata
requires what the manifest depends on. Needs no database:
`.venv/bin/python -m pytest -p no:cacheprovider -p no:odoo tests/test_packaging.py`."""

import ast
import importlib.util
import re
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
ADDONS = sorted(p.parent.name for p in (REPO / "addons").glob("*/__manifest__.py"))
# Addons that are published as odoo-addon-* distributions: ours, and queue_job (OCA).
PACKAGED_ADDONS = set(ADDONS) | {"queue_job"}


def _manifest(addon):
    return ast.literal_eval((REPO / "addons" / addon / "__manifest__.py").read_text())


def test_there_are_addons():
    assert ADDONS, "no addons/*/__manifest__.py found"


@pytest.mark.parametrize("addon", ADDONS)
def test_pyproject_uses_whool(addon):
    path = REPO / "addons" / addon / "pyproject.toml"
    assert path.is_file(), f"{path.relative_to(REPO)} is missing"
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    build_system = tomllib.loads(path.read_text())["build-system"]
    assert build_system == {"requires": ["whool"], "build-backend": "whool.buildapi"}


@pytest.mark.parametrize("addon", ADDONS)
def test_wheel_requires_the_manifest_dependencies(addon, tmp_path):
    assert importlib.util.find_spec("whool"), "whool is installed by test-requirements.txt"
    # --no-build-isolation: whool from this environment, no index needed.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(tmp_path), f"addons/{addon}"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    wheels = [p.name for p in tmp_path.glob("*.whl")]
    assert len(wheels) == 1, wheels
    assert re.fullmatch(rf"odoo_addon_{addon}-18\.0\.[0-9.]+(\.dev\d+)?-py3-none-any\.whl", wheels[0])

    with zipfile.ZipFile(tmp_path / wheels[0]) as wheel:
        assert f"odoo/addons/{addon}/__manifest__.py" in wheel.namelist()
        metadata_path = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = HeaderParser().parsestr(wheel.read(metadata_path).decode())

    manifest = _manifest(addon)
    assert metadata["Name"] == f"odoo-addon-{addon}"
    assert metadata["Version"].startswith(manifest["version"])
    requires = {canonicalize_name(r.name): str(r.specifier)
                for r in map(Requirement, metadata.get_all("Requires-Dist") or [])}
    assert requires.get("odoo") == "==18.0.*", requires
    for depend in manifest["depends"]:
        if depend in PACKAGED_ADDONS:
            assert requires.get(canonicalize_name(f"odoo-addon-{depend}")) == "==18.0.*", (depend, requires)
    for module in manifest.get("external_dependencies", {}).get("python", []):
        assert canonicalize_name(module) in requires, (module, requires)
