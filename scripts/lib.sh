# Shared helpers for the scripts in this folder (sourced, not run).

# Installs the named Debian packages with apt-get as root; otherwise says what to install and fails.
apt_install() {
    [ $# -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing system packages: $* (run as root, or: sudo apt-get install $*)" >&2
        return 1
    fi
    echo "installing system packages: $*"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Installs the Debian packages named (package:command pairs) whose command is missing.
ensure_packages() {
    local missing=()
    local pair
    for pair in "$@"; do
        local package=${pair%%:*} command=${pair##*:}
        command -v "$command" >/dev/null 2>&1 || missing+=("$package")
    done
    apt_install "${missing[@]}"
}

# Installs the Debian packages named that dpkg does not list as installed. For packages with no
# command to look for, such as the -dev packages whose headers and libraries the build links.
ensure_dpkg() {
    local missing=()
    local package
    for package in "$@"; do
        dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$package")
    done
    apt_install "${missing[@]}"
}

# The Swift toolchain is not a Debian package; say where it is expected when it is absent.
ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then
            export PATH="/opt/swift/usr/bin:$PATH"
        else
            echo "swift 6.1 or later is needed (expected on PATH or in /opt/swift); see https://www.swift.org/install/linux/" >&2
            return 1
        fi
    fi
}

# The archive's build and test needs (docs/archive.md): MongoDB's C driver from Debian, and nx-27017
# (a MongoDB wire-protocol server backed by SQLite, from PyPI) in a virtual environment under
# .build, since no MongoDB server is packaged here. Exports INFRAMIND_NX27017 for the tests.
ensure_archive_build() {
    ensure_dpkg libmongoc-dev libbson-dev pkg-config
}

ensure_nx27017() {
    local venv=.build/archive-venv
    if [ ! -x "$venv/bin/nx-27017" ]; then
        ensure_dpkg python3-venv
        echo "installing nx-27017 into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check nx-27017
    fi
    INFRAMIND_NX27017="$(pwd)/$venv/bin/nx-27017"
    export INFRAMIND_NX27017
}
