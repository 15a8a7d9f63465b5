#!/usr/bin/env bash
# Installs what the tests need, then runs the whole suite on the TensorFlow backend and the
# backend-agnostic part on JAX, each with the package's doctests. Extra arguments go to pytest
# (e.g. -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
bash scripts/install.sh --test
export TF_CPP_MIN_LOG_LEVEL=2
echo "== ruff"
$PYTHON -m ruff check .
echo "== pytest, KERAS_BACKEND=tensorflow"
KERAS_BACKEND=tensorflow $PYTHON -m pytest -q --doctest-modules keras_hashing tests "$@"
echo "== pytest, KERAS_BACKEND=jax"
KERAS_BACKEND=jax $PYTHON -m pytest -q --doctest-modules keras_hashing tests \
  -m "not slow and not tensorflow_only" "$@"
