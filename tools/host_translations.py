#!/usr/bin/env python3
"""Arabic and Persian for the OCA helpdesk modules' terms our agents and customers see.

OCA ``helpdesk_mgmt`` ships no Arabic and ``helpdesk_mgmt_sla`` only part of it (nor any
Persian); users see the screen, not the module boundary. This tool writes, from the host
modules' own templates (``i18n/<module>.pot`` of the installed wheels):

* ``data/oca_contrib/<module>/i18n/{ar,fa}.po``: the complete catalogues, ready to submit to
  OCA (the module's existing translations kept, the gaps filled);
* ``crm_relational_service/i18n_extra/{ar,fa}.po``: only the filled gaps, restricted to the
  terms Odoo loads from any module's catalogue (field labels, selections, records, views and
  portal templates: ``model:`` and ``model_terms:`` references, which name the host module's
  records). Odoo loads ``i18n_extra/<lang>.po`` with ``i18n/`` whenever it loads our addon's
  translations (install, update, a language loaded later), so installing our addons brings
  them without touching the host modules. Code terms (Python ``_()``, JavaScript) are read
  from the host module's own catalogue only: they are left to the OCA contribution.

A gap is filled from ``data/oca_contrib/manual_terms.json`` (reviewed by hand), else from
Odoo's own translation of the same English text (its ``addons/*/i18n/<lang>.po``), so that the
helpdesk says what the rest of Odoo says. Run it again when the host modules change:
``python3 tools/host_translations.py``.
"""

import json
import os
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
HOST_MODULES = ["helpdesk_mgmt", "helpdesk_mgmt_sla", "helpdesk_mgmt_rating", "helpdesk_product"]
LANGS = {"ar": "Arabic", "fa": "Persian"}
EXTRA = ROOT / "crm_relational_service" / "i18n_extra"
CONTRIB = ROOT / "data" / "oca_contrib"
# Odoo's modules whose wording the helpdesk should follow first, then every other one.
CORE_FIRST = ["mail", "base", "web", "portal", "rating", "project", "sale", "crm", "product"]


def addon_paths():
    import odoo.addons

    # The addons namespace (base, the wheels), and the source tree's addons/ beside odoo/.
    namespace = odoo.addons.__path__
    candidates = [*namespace, *(Path(path).parent.parent / "addons" for path in namespace)]
    folders = []
    for folder in map(Path, candidates):
        if folder.is_dir() and folder.resolve() not in folders:
            folders.append(folder.resolve())
    return folders


def module_dir(name):
    for folder in addon_paths():
        if (folder / name / "__manifest__.py").is_file():
            return folder / name
    sys.exit(f"{name} is not installed (pip install odoo-addon-{name.replace('_', '-')})")


def translations(path):
    """{msgid: msgstr} of a catalogue (translated entries only), or {} without it."""
    if not path.is_file():
        return {}
    return {e.msgid: e.msgstr for e in polib.pofile(str(path)) if e.msgstr and not e.obsolete}


def odoo_wording(lang):
    """Odoo's own translation of each English text, modules of CORE_FIRST first."""
    files = []
    for folder in addon_paths():
        files += [folder / name / "i18n" / f"{lang}.po" for name in CORE_FIRST]
        files += sorted(folder.glob(f"*/i18n/{lang}.po"))
    wording = {}
    for path in files:
        if path.parent.parent.name in HOST_MODULES:
            continue
        for msgid, msgstr in translations(path).items():
            wording.setdefault(msgid, msgstr)
    return wording


def header(catalogue, module, lang):
    catalogue.metadata = {
        "Project-Id-Version": "Odoo Server 19.0",
        "Report-Msgid-Bugs-To": "",
        "Last-Translator": "crm_relational developers",
        "Language-Team": LANGS[lang],
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "",
        "Plural-Forms": "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && "
        "n%100<=10 ? 3 : n%100>=11 ? 4 : 5;"
        if lang == "ar"
        else "nplurals=2; plural=(n > 1);",
    }
    catalogue.header = (
        "Translation of Odoo Server.\n"
        f"This file contains the translation of the following modules:\n\t* {module}"
    )


def main():
    manual = json.loads((CONTRIB / "manual_terms.json").read_text(encoding="utf-8"))
    EXTRA.mkdir(exist_ok=True)
    for lang in LANGS:
        wording = odoo_wording(lang)
        extra = polib.POFile(wrapwidth=78)
        header(extra, ", ".join(HOST_MODULES), lang)
        extra_entries = {}
        for module in HOST_MODULES:
            folder = module_dir(module)
            template = polib.pofile(str(folder / "i18n" / f"{module}.pot"))
            own = translations(folder / "i18n" / f"{lang}.po")
            contrib = polib.POFile(wrapwidth=78)
            header(contrib, module, lang)
            for entry in template:
                filled = manual.get(entry.msgid, {}).get(lang) or wording.get(entry.msgid, "")
                msgstr = own.get(entry.msgid) or filled
                contrib.append(
                    polib.POEntry(
                        msgid=entry.msgid,
                        msgstr=msgstr,
                        comment=entry.comment,
                        occurrences=entry.occurrences,
                        flags=entry.flags,
                    )
                )
                loadable = [o for o in entry.occurrences if not o[0].startswith("code:")]
                if own.get(entry.msgid) or not filled or not loadable:
                    continue
                if entry.msgid in extra_entries:
                    extra_entries[entry.msgid].occurrences += loadable
                    continue
                extra_entries[entry.msgid] = polib.POEntry(
                    msgid=entry.msgid,
                    msgstr=filled,
                    comment=f"module: {module}",
                    occurrences=loadable,
                    flags=[flag for flag in entry.flags if flag != "python-format"],
                )
            target = CONTRIB / module / "i18n" / f"{lang}.po"
            target.parent.mkdir(parents=True, exist_ok=True)
            contrib.save(str(target))
            done = sum(1 for e in contrib if e.msgstr)
            print(f"{target.relative_to(ROOT)}: {done}/{len(contrib)} translated")
        for msgid in sorted(extra_entries):
            extra.append(extra_entries[msgid])
        target = EXTRA / f"{lang}.po"
        extra.save(str(target))
        print(f"{target.relative_to(ROOT)}: {len(extra)} host terms")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
