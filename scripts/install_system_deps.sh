#!/usr/bin/env bash
# Install the system libraries the Qt (PySide6) wheels need at run time on Debian/Ubuntu, and the tools the
# tests check outputs with.
#
#   - always: GL/EGL, xkbcommon, GLib, fontconfig, D-Bus (enough for QT_QPA_PLATFORM=offscreen, i.e. CI)
#   - for a real X11 display: the xcb plugin's libraries (libxcb-cursor0 is the one most often missing)
#   - dicom3tools: its dciodvfy validates every DICOM the app writes against the IOD (tests/unit/export;
#     with CI=true a missing dciodvfy fails those tests instead of skipping them)
#   - orthanc + orthanc-dicomweb: a real PACS the tests start on free ports with a temporary configuration
#     (tests/pacs_server.py; send, open from PACS); the system service is never used
#   - python3-venv when the system python3 cannot create a venv (Debian's python3 ships without ensurepip)
#
# Idempotent: does nothing when everything is installed. As root it installs with apt-get; otherwise it
# prints the exact command to run and exits non-zero. On systems without dpkg it prints a note and succeeds.
set -euo pipefail

PACKAGES=(
    libgl1 libegl1 libxkbcommon0 libglib2.0-0 libfontconfig1 libdbus-1-3
    libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
    libxcb-render-util0 libxcb-shape0 libxcb-xkb1
    dicom3tools
    orthanc orthanc-dicomweb
)

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install_system_deps: no dpkg on this system; install the Qt runtime libraries yourself" \
        "(OpenGL/EGL, xkbcommon, fontconfig, D-Bus and xcb-cursor for X11). Continuing." >&2
    exit 0
fi

PYTHON="${PYTHON:-python3}"
if command -v "$PYTHON" >/dev/null 2>&1 && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    PACKAGES+=(python3-venv)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install_system_deps: all ${#PACKAGES[@]} system packages already installed"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "install_system_deps: missing system packages: ${missing[*]}" >&2
    echo "Run:" >&2
    echo "    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "install_system_deps: installing ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
