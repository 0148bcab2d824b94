#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environment the MLflow round-trip test uses:
# mlflow-skinny checks the feedback sidecar and the golden set with MLflow's own code.
# The venv lives in a cache path so CI runs reuse it; the test finds it through
# SPANLENS_VENV (default: $HOME/.cache/spanlens-venv). Without python3 this does nothing
# and the test says it skipped.
set -euo pipefail
VENV="${SPANLENS_VENV:-$HOME/.cache/spanlens-venv}"
# Pinned so a new MLflow release cannot change what the test checks without a commit.
MLFLOW_SPEC="mlflow-skinny==3.18.0"
PANDAS_SPEC="pandas"

if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 not found: the MLflow round-trip test will skip"
  exit 0
fi
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$MLFLOW_SPEC" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
want = sys.argv[1].split("==")[1]
import pandas  # noqa: F401
sys.exit(0 if version("mlflow-skinny") == want else 1)
PY
  echo "reusing the Python venv at $VENV"
  exit 0
fi
echo "creating the Python venv at $VENV with $MLFLOW_SPEC"
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "$MLFLOW_SPEC" "$PANDAS_SPEC"
