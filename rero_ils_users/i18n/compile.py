"""Compile the catalogues (``translations/<lang>/LC_MESSAGES/messages.po`` -> ``.mo``).

Needs only Babel, not the package: ``scripts/_lib.sh`` (``ensure_venv``, so every
checkout that runs ``scripts/setup``, ``scripts/test`` or ``scripts/run`` has them) and
``setup.py`` (a built wheel ships them) run this file by its path. The ``.mo`` files are
build products, not committed (``.gitignore``): the ``.po`` files are the source, and a
committed binary would drift from them unnoticed. Fuzzy entries are left out, as
``pybabel compile`` does.

    python rero_ils_users/i18n/compile.py [SOURCE_DIR [TARGET_DIR]]
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRANSLATIONS = HERE.parent / "translations"


def compile_catalogues(source=TRANSLATIONS, target=None):
    """Write each ``.mo`` beside its ``.po`` (or under ``target``); returns the paths written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source, target = Path(source), Path(target or source)
    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as stream:
            catalog = read_po(stream, locale=po.parts[-3])
        with mo.open("wb") as stream:
            write_mo(stream, catalog, use_fuzzy=False)
        written.append(mo)
    return written


if __name__ == "__main__":
    done = compile_catalogues(*sys.argv[1:3])
    print(f"i18n: {len(done)} catalogue(s) compiled")
