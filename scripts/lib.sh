# Shared by the scripts in this folder: find an interpreter, make a virtual environment.
# Source it; it defines functions only.

# find_python X.Y: print the path of a working Python X.Y, or nothing.
find_python() {
    local want=$1 candidate
    for candidate in \
        "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python"$want" \
        "$(command -v "python$want" 2>/dev/null)" \
        "/usr/bin/python$want"; do
        if [[ -x $candidate ]] && "$candidate" -c 'import venv' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# ensure_venv DIR PYTHON PIP-ARGS...: create DIR with PYTHON if needed and install PIP-ARGS,
# skipping the install when nothing it depends on changed since the last one.
ensure_venv() {
    local dir=$1 python=$2
    shift 2
    local stamp="$dir/.installed" want
    want=$(cat pyproject.toml requirements-*.txt docs/requirements.txt 2>/dev/null | sha256sum | cut -c1-16)
    want="$want $("$python" --version 2>&1) $*"
    if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
        return 0
    fi
    echo "setup: creating $dir with $("$python" --version 2>&1)"
    [[ -x $dir/bin/python ]] || "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check \
        --constraint requirements-constraints.txt "$@" 2> >(grep -v "^WARNING: Location" >&2)
    echo "$want" > "$stamp"
}

# stage NAME COMMAND...: run COMMAND, print how long it took, remember a failure.
FAILED=()
stage() {
    local name=$1 start rc
    shift
    start=$(date +%s)
    echo "== $name"
    set +e
    "$@"
    rc=$?
    set -e
    echo "== $name: $([[ $rc == 0 ]] && echo ok || echo "FAILED (exit $rc)") in $(($(date +%s) - start)) s"
    [[ $rc == 0 ]] || FAILED+=("$name")
    return 0
}

# ensure_project_venv: the project's own .venv (Python 3.12 where it is installed), with
# everything the tests, the demo and the docs need. Every script calls this one, so they
# share one environment and never reinstall it for each other.
ensure_project_venv() {
    local python
    python=$(find_python 3.12 || find_python 3.13 || command -v python3)
    ensure_venv .venv "$python" -e '.[django,drf,test]' -r requirements-dev.txt \
        -r docs/requirements.txt
}

# start_test_postgres: a private PostgreSQL cluster on 127.0.0.1 for the tests that need
# real concurrency, stopped and removed when the calling script exits. Exports its DSN as
# REMOTE_IDENTITY_TEST_POSTGRES.
start_test_postgres() {
    local port dsn
    TEST_PG_DIR=/tmp/remote-identity-pg-$$
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    trap 'scripts/postgres stop "$TEST_PG_DIR" >/dev/null 2>&1 || true; rm -rf "$TEST_PG_DIR"' EXIT
    dsn=$(scripts/postgres start "$TEST_PG_DIR" "$port") || return 1
    export REMOTE_IDENTITY_TEST_POSTGRES=$dsn
}
