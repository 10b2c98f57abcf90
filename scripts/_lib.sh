# shellcheck shell=bash
# Helpers shared by scripts/setup, scripts/run and scripts/test: source it, do not run it.
# Sourcing it moves to the checkout's root, so relative paths below are from there.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
VENV=$ROOT/.venv

# Milliseconds since the epoch, and "1.2 s" since such a time (bash 5 EPOCHREALTIME).
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
since() { local ms=$(($(now_ms) - $1)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }

# .venv with the package (editable) and its test extras. pip runs only when setup.cfg changed
# or setup.py changed since the last successful install (stamp .venv/.installed-<sha1 of both>).
ensure_venv() {
    if [[ ! -x $VENV/bin/python ]]; then
        echo "venv: creating $VENV"
        "${PYTHON:-python3}" -m venv "$VENV"
    fi
    local stamp
    stamp=$VENV/.installed-$(cat setup.cfg setup.py | sha1sum | cut -d' ' -f1)
    if [[ ! -f $stamp ]]; then
        echo "venv: installing .[tests] (setup.cfg or setup.py changed since the last install)"
        "$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel
        "$VENV/bin/pip" install -q -e '.[tests]'
        rm -f "$VENV"/.installed-*
        touch "$stamp"
    fi
    # the catalogues' .mo are build products (not in git): compiled on every run, a few ms
    "$VENV/bin/python" rero_ils_users/i18n/compile.py >/dev/null
}

# Quick local runs use SQLite in var/ unless a database is configured.
dev_env() {
    mkdir -p "$ROOT/var"
    export INVENIO_SQLALCHEMY_DATABASE_URI=${INVENIO_SQLALCHEMY_DATABASE_URI:-sqlite:///$ROOT/var/rero-ils-users.db}
}
