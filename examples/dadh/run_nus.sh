#!/bin/bash
# Settings of the original run_nus.sh (lr 1e-5, dropout on; pass --dropout True to `test` as well).
cd "$(dirname "$0")/../.." && python examples/dadh/main.py train --flag nus --bit "$@" --lr 1e-5 --dropout True
