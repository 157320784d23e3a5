"""Write each addon's README.rst from its manifest and readme/*.md fragments, as OCA does.

python3 tools/addon_readme.py           write the files
python3 tools/addon_readme.py --check   exit 1 if a README.rst is out of date
"""

import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDONS = [
    "crm_relational",
    "crm_relational_sfa",
    "crm_relational_service",
    "crm_relational_service_sale",
    "crm_relational_service_crm",
]
SECTIONS = [("DESCRIPTION.md", None), ("CONFIGURE.md", "Configuration"), ("USAGE.md", "Usage")]


def render(addon):
    """The README.rst text of `addon`."""
    manifest = ast.literal_eval((ROOT / addon / "__manifest__.py").read_text(encoding="utf-8"))
    title = manifest["name"]
    parts = [
        "=" * len(title),
        title,
        "=" * len(title),
        "",
        f"*{manifest['summary']}*",
        "",
        f"Version {manifest['version']}, license {manifest['license']}, "
        f"depends on {', '.join(manifest['depends'])}.",
        "",
    ]
    for fragment, heading in SECTIONS:
        path = ROOT / addon / "readme" / fragment
        if not path.exists():
            continue
        if heading:
            parts += [heading, "=" * len(heading), ""]
        parts += [path.read_text(encoding="utf-8").strip(), ""]
    parts += ["Credits", "=======", "", f"Authors: {manifest['author']}", ""]
    return "\n".join(parts)


def main(argv):
    stale = []
    for addon in ADDONS:
        target = ROOT / addon / "README.rst"
        text = render(addon)
        if "--check" in argv:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(str(target.relative_to(ROOT)))
        else:
            target.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python3 tools/addon_readme.py):", " ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
