#!/usr/bin/env python3
"""Write each addon's README.rst from its readme/*.md fragments, as OCA's
oca-gen-addon-readme does (which needs GitHub, out of reach here).

    python3 scripts/gen-addon-readme.py          # write
    python3 scripts/gen-addon-readme.py --check  # exit 1 when one is out of date
"""

import ast
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECTIONS = (  # fragment, heading
    ("DESCRIPTION", None), ("CONFIGURE", "Configuration"), ("USAGE", "Usage"),
    ("ROADMAP", "Known issues / Roadmap"), ("CONTRIBUTORS", "Contributors"),
)


def md_to_rst(text):
    """The Markdown the fragments use: paragraphs, lists, fenced code, inline code,
    bold/italic, links."""
    out, lines, i = [], text.strip("\n").splitlines(), 0
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^```(\w*)\s*$", line)
        if fence:
            out += [f".. code-block:: {fence.group(1) or 'text'}", ""]
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append("    " + lines[i] if lines[i] else "")
                i += 1
            out.append("")
            i += 1
            continue
        line = re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", line)
        line = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"`\1 <\2>`_", line)
        out.append(line)
        i += 1
    return "\n".join(out).strip("\n") + "\n"


def render(addon):
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    name = manifest["name"]
    parts = [
        "=" * len(name), name, "=" * len(name), "",
        f".. |badge1| image:: https://img.shields.io/badge/maturity-"
        f"{manifest.get('development_status', 'Beta')}-yellow.png",
        ".. |badge2| image:: https://img.shields.io/badge/license-"
        f"{manifest['license'].replace('-', '--')}-blue.png",
        "", "|badge1| |badge2|", "",
        "*This file is generated from readme/ by scripts/gen-addon-readme.py: edit those.*", "",
    ]
    for fragment, heading in SECTIONS:
        path = addon / "readme" / f"{fragment}.md"
        if not path.exists():
            continue
        body = md_to_rst(path.read_text())
        if heading == "Contributors":
            parts += ["Credits", "=======", "", "Authors", "-------", "",
                      f"* {manifest['author']}", "", "Contributors", "------------", "", body]
            parts += ["Maintainers", "-----------", "",
                      "This module is maintained by: " + ", ".join(manifest.get("maintainers", [])),
                      "", f"Source: {manifest['website']}", ""]
        elif heading:
            parts += [heading, "=" * len(heading), "", body]
        else:
            parts += [body]
    return "\n".join(parts).rstrip("\n") + "\n"


def main(check=False):
    stale = []
    for manifest in sorted(REPO.glob("addons/*/__manifest__.py")):
        addon = manifest.parent
        text, target = render(addon), addon / "README.rst"
        if check:
            if not target.exists() or target.read_text() != text:
                stale.append(str(target.relative_to(REPO)))
        else:
            target.write_text(text)
    if stale:
        print("out of date (run scripts/gen-addon-readme.py):", *stale)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
