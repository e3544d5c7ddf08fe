#!/usr/bin/env bash
# Create `.oracle/`, a virtualenv holding the reference implementation (dora-search 0.1.13),
# used to compute golden values (tools/make_sig_vectors.py) and by side-by-side benchmarks.
# torch is installed first, from the CPU build, because dora-search imports it; pip's
# machine-wide configuration (local wheel folder, constraint file) decides where it comes from.
# hydra-core comes too, so that dora-search's Hydra back-end can serve as an oracle.
#
# Usage: tools/oracle_venv.sh [PYTHON]   (default: python3; re-running is a no-op when ready)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ORACLE_VENV:-$ROOT/.oracle}"
PYTHON="${1:-python3}"
TORCH_VERSION="2.13.0"
DORA_VERSION="0.1.13"
HYDRA_VERSION="1.3.8"

if [ -x "$VENV/bin/python" ] \
    && "$VENV/bin/python" -c "import importlib.metadata as m, sys; \
sys.exit(m.version('dora-search') != '$DORA_VERSION' \
or m.version('hydra-core') != '$HYDRA_VERSION')" 2>/dev/null; then
    echo "oracle venv ready: $VENV"
    exit 0
fi

"$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
# `==2.13.0` accepts the local `+cpu` build, which pip prefers when the wheel folder has it.
"${PIP[@]}" "torch==$TORCH_VERSION"
"${PIP[@]}" "dora-search==$DORA_VERSION" "hydra-core==$HYDRA_VERSION"
"$VENV/bin/python" -c "import dora.hydra, torch; print('oracle venv ready:', '$VENV', \
'dora-search', '$DORA_VERSION', 'torch', torch.__version__)"
