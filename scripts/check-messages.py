"""Fail when a translation catalogue is stale, has untranslated or fuzzy entries.

Stale: `zina makemessages` on the current sources would add message ids the catalogue lacks.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "zina"


def entries(po: Path) -> dict[str, str]:
    result: dict[str, str] = {}
    text = po.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""\n"Project' not in block:
            result.setdefault("__fuzzy__", "")
        m = re.search(
            r'^msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?msgstr(?:\[0\])? ((?:".*"\n?)+)',
            block,
            re.M,
        )
        if not m:
            continue
        msgid = "".join(re.findall(r'"(.*)"', m.group(1)))
        if msgid:
            result[msgid] = "".join(re.findall(r'"(.*)"', m.group(2)))
    return result


def main() -> int:
    problems: list[str] = []
    catalogues = sorted(PACKAGE.glob("locale/*/LC_MESSAGES/django.po"))
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "zina"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
        for po in catalogues:
            lang = po.parent.parent.name
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "django",
                    "makemessages",
                    "-l",
                    lang,
                    "--no-location",
                    "--no-obsolete",
                    "--verbosity",
                    "0",
                ],
                cwd=copy,
                check=True,
                env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": ""},
            )
            fresh = entries(copy / "locale" / lang / "LC_MESSAGES" / "django.po")
            current = entries(po)
            missing = sorted(set(fresh) - set(current) - {"__fuzzy__"})
            for msgid in missing:
                problems.append(f"{po.relative_to(ROOT)}: not in the catalogue: {msgid!r}")
            for msgid, msgstr in current.items():
                if msgid == "__fuzzy__":
                    problems.append(f"{po.relative_to(ROOT)}: has fuzzy entries")
                elif not msgstr and msgid in fresh:
                    problems.append(f"{po.relative_to(ROOT)}: untranslated: {msgid!r}")
    if problems:
        print("\n".join(problems))
        print("Run `make makemessages`, translate, and commit the catalogue.")
        return 1
    print(f"translations: {len(catalogues)} catalogue(s) complete and current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
