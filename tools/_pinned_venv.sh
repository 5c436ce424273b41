# shellcheck shell=bash
# Sourced by the checks that run a tool from its own pinned venv (import_checks.sh, navigator_checks.sh,
# docsite.sh): pinned_venv VENV REQUIREMENTS makes VENV from the exact pins on first use, and again whenever the
# requirements file is newer than the last install.
pinned_venv() {
    local venv=$1 requirements=$2
    if [ ! -f "$venv/.installed" ] || [ "$requirements" -nt "$venv/.installed" ]; then
        "${PYTHON:-python3.11}" -m venv "$venv"
        # pip names every index location it skips on these machines: keep its real messages only
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" 2>&1 |
            { grep -v "^WARNING: Location " || true; }
        touch "$venv/.installed"
    fi
}
