"""Save a torchvision AlexNet state dict as `.npz` for `keras_hashing.backbones.TorchAlexNet`.

    python pretrained/convert_torchvision_alexnet.py alexnet-owt-7be5be79.pth alexnet.npz
    python pretrained/convert_torchvision_alexnet.py --torchvision alexnet.npz  # needs network

Needs `torch` (and `torchvision` for `--torchvision`); keras_hashing itself never imports torch.
The archive keeps torchvision's keys and layouts (`features.0.weight` (64, 3, 11, 11), ...);
`keras_hashing.backbones.load_torchvision_alexnet_npz` transposes them to Keras layout and
reorders fc6's rows from torch's (C, H, W) flatten to Keras' (H, W, C). Checkpoints that wrap
the state dict (`{"state_dict": ...}`, `{"model": ...}`) or prefix keys (`module.`, `alexnet.`)
are accepted.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", help="a .pth/.pt state dict or checkpoint")
    parser.add_argument("output", help="the .npz to write")
    parser.add_argument(
        "--torchvision",
        action="store_true",
        help="take torchvision's IMAGENET1K_V1 weights instead of a file",
    )
    args = parser.parse_args()

    import numpy as np
    import torch

    if args.torchvision:
        import torchvision

        state = torchvision.models.alexnet(weights="IMAGENET1K_V1").state_dict()
    elif args.source:
        state = torch.load(args.source, map_location="cpu")
        for key in ("state_dict", "model"):
            if isinstance(state, dict) and key in state and isinstance(state[key], dict):
                state = state[key]
    else:
        parser.error("give a state-dict file or --torchvision")
    arrays = {k: v.detach().cpu().numpy() for k, v in state.items() if hasattr(v, "detach")}
    np.savez(args.output, **arrays)

    from keras_hashing.backbones import load_torchvision_alexnet_npz

    layers, fc8 = load_torchvision_alexnet_npz(args.output)  # fails loudly on a wrong layout
    shapes = ", ".join(f"{name} {tuple(pair[0].shape)}" for name, pair in layers.items())
    print(f"wrote {args.output}: {shapes}; fc8 {'absent' if fc8 is None else tuple(fc8[0].shape)}")


if __name__ == "__main__":
    main()
