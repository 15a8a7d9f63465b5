#!/bin/bash
# Settings of the original run_mir.sh: python examples/dadh/run_mir.sh 64
cd "$(dirname "$0")/../.." && python examples/dadh/main.py train --flag mir --bit "$@"
