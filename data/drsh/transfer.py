"""Renames the keys of an HDF5 file to photo ids (DRSH's `preprocess/transfer.py`).

    python data/drsh/transfer.py --source NUSgtGlove.h5 --ids id.npy --out NUSGlove.h5

The k-th key in h5py (alphabetical) order becomes `ids[k]`; an id already written is skipped, so
NUS-WIDE's 269 648 files give 269 642 entries (six duplicates).
"""

import argparse
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from keras_hashing.data.drsh import read_ids  # noqa: E402
from keras_hashing.data.drsh import remap_keys  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--ids", required=True, help=".npy or text list of ids, in key order")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    count = remap_keys(args.source, args.out, read_ids(args.ids))
    print(f"wrote {count} entries to {args.out}")


if __name__ == "__main__":
    main()
