#!/usr/bin/env bash
# Installs everything keras_hashing needs on a fresh Debian/Ubuntu machine with Python 3.10+.
#   bash scripts/install.sh          # the library, the examples and Fashion-MNIST
#   bash scripts/install.sh --test   # plus pytest, JAX (second backend) and ruff
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist
fi
if [ "${1:-}" = "--test" ]; then
  $PYTHON -m pip install -q -r requirements-test.txt
else
  $PYTHON -m pip install -q -r requirements.txt
fi
$PYTHON -m pip install -q --no-deps -e .
