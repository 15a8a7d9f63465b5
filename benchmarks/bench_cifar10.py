"""CIFAR-10, the DeepHash benchmark, with an ImageNet EfficientNet-Lite0 fine-tuned on CPU.

The protocol (1 000 queries / 5 000 training / 54 000 database, mAP@54000, ties by database
index) is `data/cifar10/prepare.py`'s. The network's lower blocks are frozen and their outputs
cached once (`keras_hashing.recipes.cached_trunk`): every training image in `--train-views`
views (centre crop, random crops and flips), every query and database image centred. Each run
fine-tunes the upper blocks and the hash layer with the method's loss and the original's
optimiser (DeepHash: TF1 momentum, x10/x20 on the hash layer; DHN_PyTorch: its RMSprop and
per-epoch cosine, `--steps` rounded up to whole epochs), then encodes the cached maps. DVSQ
and DTQ run through their recipes (`keras_hashing.recipes.deephash.quantizers`, what their
example scripts run) on the same cache, with `--steps` as DTQ's epochs.

`--validation` trains on `val_train.txt` and searches `val_test.txt`'s 500 images against the
database (hyperparameters are chosen there, never on the queries); without it, runs train on
all 5 000 images and search the 1 000 queries. Results go to `--out` (JSON) after every run, and
runs already there are skipped, so a killed benchmark resumes.

Usage:
    python data/cifar10/prepare.py --archive ../shared/data/cifar10/cifar10-images.tar.gz \\
        --out ~/data/cifar10
    python benchmarks/bench_cifar10.py --list-dir ~/data/cifar10 --cache-dir ~/cache/lite0 \\
        --methods dch --bits 32 [--validation] [--steps 2000] [--lr 0.005]
    python benchmarks/bench_cifar10.py ... --methods dqn --bits 32 --steps 1000  # AQD keys
    python benchmarks/bench_cifar10.py ... --methods dvsq --bits 32 --steps 1000
    python benchmarks/bench_cifar10.py ... --methods dtq --bits 32 --steps 1 --lr 0.003  # epochs
    python benchmarks/bench_cifar10.py ... --baselines   # LSH / PCAH / ITQ / by feature
    python benchmarks/bench_cifar10.py ... --evaluate dvsq_cifar10_32  # a preset, no training

`--evaluate` measures a trained model instead of training one: a preset (its file, as
`keras_hashing.recipes.load_preset` loads it) or a `.keras` model a run saved, on the
cache's queries (or validation queries) with the same figures as a run; the cache's
`--train-from` must be the model's. Quantizers (DQN, DVSQ, DTQ) are ranked by AQD and SQD over
codes from ICM with seed 0, whatever the method's own report does. `--against OTHER` also counts
the query and database codes that differ from another model's (a float16 preset against its
training run: `pretrained/make_presets.py --float16`).
"""

import argparse
import json
import math
import os
import time

import numpy as np

# The originals' defaults (thulab/DeepHash DeepHash/model/<method>/train_val_script.py):
# learning rate, batch size, iterations, decay step, decay factor, method arguments.
METHODS = {
    "dch": dict(lr=0.005, batch_size=128, steps=2000, decay_step=10000, decay_factor=0.1,
                args=dict(gamma=20.0, q_lambda=0.0)),
    "dhn": dict(lr=0.00005, batch_size=256, steps=2000, decay_step=10000, decay_factor=0.1,
                args=dict(alpha=10.0, q_lambda=0.0)),
    # DQN quantizes a 300-d output with bits / 8 codebooks of 256 words (4 for 32 bits).
    "dqn": dict(lr=0.002, batch_size=256, steps=5000, decay_step=500, decay_factor=0.5,
                args=dict(cq_lambda=0.0001, max_iter_update_b=3, code_batch_size=500)),
    # TreezzZ/DHN_PyTorch run.py: RMSprop(lr 1e-5, weight decay 5e-4), one rate for every layer,
    # cosine down to lr / 100 stepped once per epoch over 500 epochs of 20 batches of 256.
    "dhn_pytorch": dict(lr=0.00001, batch_size=256, steps=10000, args=dict(lamda=1.0)),
}
QUANTIZERS = ("dqn",)
DQN_OUTPUT_DIM = 300
# DVSQ and DTQ train through their recipes, the code examples/dvsq and examples/dtq run, on the
# same cache: DVSQ ranks against label word vectors, DTQ mines triplets every epoch. `length`
# is the setting `--steps` sets (DTQ counts epochs), `bits` the number of 256-word codebooks.
REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = {
    # The original's settings (thulab/DeepHash DeepHash/model/dvsq/train_val_script.py and its
    # CIFAR-10 word vectors), 300-d outputs.
    "dvsq": dict(recipe="DVSQRecipe", length="iter_num", bits="subspace_num", settings=dict(
        output_dim=300,
        wordvec=os.path.join(REPOSITORY, "data", "deephash_wordvec", "cifar10_wordvec.txt"),
    )),
    # DTQ over 32-d outputs (the README's row); its `epochs` default is the original's 100.
    "dtq": dict(recipe="DTQRecipe", length="epochs", bits="subspace",
                settings=dict(output_dim=32)),
}
# The report keys of AQD, SQD and the raw outputs ranked by feature, per method.
QUANTIZED_KEYS = {
    "dqn": ("i2i_AQD", "i2i_SQD", "i2i_nocq"),
    "dvsq": ("i2i_AQD", "i2i_SQD", "i2i_nocq"),
    "dtq": ("map_AQD_ip", "map_SQD_ip", "map_feature_ip"),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--list-dir", required=True, help="folder of the CIFAR-10 list files")
    parser.add_argument("--cache-dir", required=True, help="folder of the trunk cache")
    parser.add_argument("--variant", default="lite0", help="EfficientNet-Lite variant")
    parser.add_argument("--split-at", type=int, default=8,
                        help="blocks 0..split_at-1 are run on the images and cached")
    parser.add_argument("--train-from", type=int, default=15,
                        help="first fine-tuned block; blocks split_at..train_from-1 are added "
                             "to a second cache (<cache-dir>_from<train_from>)")
    parser.add_argument("--train-views", type=int, default=3, help="cached views per image")
    parser.add_argument(
        "--methods", default=None,
        help="comma-separated: " + ",".join([*METHODS, *RECIPES]) + " (default: dch, or none "
        "with --evaluate)",
    )
    parser.add_argument("--bits", default="32", help="comma-separated code lengths")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument(
        "--steps", type=int, default=None, help="default: the original's (DTQ: epochs)"
    )
    parser.add_argument("--lr", type=float, default=None, help="default: the original's")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the original's")
    parser.add_argument("--gamma", type=float, default=None, help="DCH's gamma")
    parser.add_argument("--alpha", type=float, default=None, help="DHN's alpha")
    parser.add_argument("--q-lambda", type=float, default=None,
                        help="DCH's and DHN's quantization weight (the originals' q_lambda)")
    parser.add_argument("--dtype-policy", default="float32",
                        help="Keras dtype policy of the trained part: float32, or "
                             "mixed_bfloat16 (bfloat16 compute, float32 weights and hash layer)")
    parser.add_argument("--schedule", default="step", choices=("step", "cosine"),
                        help="the original's staircase decay, or a cosine decay to 0")
    parser.add_argument("--validation", action="store_true",
                        help="train on val_train.txt, search val_test.txt (not the queries)")
    parser.add_argument("--baselines", action="store_true",
                        help="LSH / PCAH / ITQ and cosine ranking on the frozen network's features")
    parser.add_argument("--evaluate", default=None,
                        help="evaluate instead of training: a preset name (dvsq_cifar10_32) or a "
                        ".keras model a run saved (the model on the cached maps)")
    parser.add_argument("--against", default=None,
                        help="with --evaluate: another model (preset or .keras) whose codes are "
                        "compared, e.g. the run a preset was made from")
    parser.add_argument("--out", default="bench_cifar10.json", help="results (JSON), resumable")
    return parser.parse_args(argv)


def _load_results(path):
    if os.path.exists(path):
        with open(path) as handle:
            return json.load(handle)
    return {}


def _save_results(path, results):
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        json.dump(results, handle, indent=1)
    os.replace(temporary, path)


def _report(query_outputs, query_labels, database_outputs, database_labels):
    from keras_hashing.metrics import deephash_report
    from keras_hashing.metrics import map_after_sign

    report = deephash_report(
        query_outputs, query_labels, database_outputs, database_labels, top_k=len(database_labels)
    )
    report["map_at_1000"] = float(
        map_after_sign(query_outputs, query_labels, database_outputs, database_labels,
                       min(1000, len(database_labels)))
    )
    return report


def _quantized_report(model, query_outputs, query_labels, database_outputs, database_labels,
                      seed):
    """DQN's keys (thulab/DeepHash `MAPs_CQ`): mAP@54000 by feature, AQD and SQD, AQD@1000."""
    from keras_hashing.metrics import map_at_r
    from keras_hashing.metrics import map_quantized

    codebook = model.quantizer.get_codebook()
    database_codes = model.quantize_outputs(database_outputs, seed=seed)
    query_codes = model.quantize_outputs(query_outputs, seed=seed + 1)
    args = (query_labels, database_labels)
    everything = len(database_labels)
    report = {
        "i2i_nocq": float(map_at_r(query_outputs, query_labels, database_outputs,
                                   database_labels, everything, verbose=False)),
    }
    for mode in ("AQD", "SQD"):
        report[f"i2i_{mode}"] = float(map_quantized(
            query_outputs, query_codes, database_codes, codebook, *args, everything, mode=mode,
            verbose=False,
        ))
    report["map_at_1000"] = float(map_quantized(
        query_outputs, None, database_codes, codebook, *args, min(1000, everything),
        verbose=False,
    ))
    return report


def _query_part(args, cache):
    """(cache split, rows or None) of the training images and of the queries."""
    from keras_hashing.recipes.cached_trunk import list_rows

    if not args.validation:
        return ("train", None), ("query", None)
    train_list = os.path.join(args.list_dir, "train.txt")
    return (
        ("train", list_rows(os.path.join(args.list_dir, "val_train.txt"), train_list)),
        ("train", list_rows(os.path.join(args.list_dir, "val_test.txt"), train_list)),
    )


def run_baselines(args, cache, results):
    """The frozen network's pooled features: cosine ranking, and LSH / PCAH / ITQ codes."""

    from keras_hashing import baselines
    from keras_hashing.data import trunk_cache_dataset
    from keras_hashing.recipes.cached_trunk import efficientnet_lite_trunk

    (train_split, train_rows), (query_split, query_rows) = _query_part(args, cache)
    trunk = efficientnet_lite_trunk(args.variant, args.train_from)

    def pooled(split, rows=None):
        dataset = trunk_cache_dataset(cache, split, 256, rows=rows)
        return trunk.upper.predict(dataset, verbose=0)

    start = time.time()
    train_features = pooled(train_split, train_rows)
    query_features = pooled(query_split, query_rows)
    database_features = pooled("database")
    print(f"pooled features in {time.time() - start:.0f} s")
    train_labels = cache.labels(train_split)
    query_labels = cache.labels(query_split)
    if train_rows is not None:
        train_labels, query_labels = train_labels[train_rows], query_labels[query_rows]
    database_labels = cache.labels("database")
    from keras_hashing.metrics import map_at_r

    key = "by_feature" + ("_validation" if args.validation else "")
    results[key] = {
        "map": float(
            map_at_r(query_features, query_labels, database_features, database_labels,
                     len(database_labels), dist_type="cosine")
        )
    }
    print(key, results[key])
    for bits in [int(b) for b in args.bits.split(",")]:
        for name in ("lsh", "pcah", "itq"):
            hasher = baselines.get(name, bits).fit(train_features)
            report = _report(
                hasher.project(query_features), query_labels,
                hasher.project(database_features), database_labels,
            )
            key = f"{name}_{bits}" + ("_validation" if args.validation else "")
            results[key] = report
            print(key, report)
            _save_results(args.out, results)


def _encode_throughput(model, trunk, count=128):
    """Images/s of the whole image model (frozen blocks + trained part), after a warm-up."""
    from keras_hashing.recipes.cached_trunk import with_trunk

    image_model = with_trunk(model, trunk)
    side = trunk.image_size
    images = np.random.default_rng(0).uniform(0, 255, (count, side, side, 3)).astype("float32")
    image_model.encode(images[:64], batch_size=64)
    start = time.time()
    image_model.encode(images, batch_size=64)
    return count / (time.time() - start)


def run_method(args, cache, method, bits, seed, results, key):
    import keras

    from keras_hashing import models
    from keras_hashing.callbacks import CodebookUpdate
    from keras_hashing.callbacks import IterationProgress
    from keras_hashing.callbacks import update_period
    from keras_hashing.data import trunk_cache_dataset
    from keras_hashing.optimizers import deephash_optimizer
    from keras_hashing.optimizers import dhn_pytorch_optimizer
    from keras_hashing.recipes.cached_trunk import efficientnet_lite_trunk

    defaults = METHODS[method]
    lr = args.lr if args.lr is not None else defaults["lr"]
    batch_size = args.batch_size or defaults["batch_size"]
    steps = args.steps or defaults["steps"]
    method_args = dict(defaults["args"])
    if method == "dch" and args.gamma is not None:
        method_args["gamma"] = args.gamma
    if method == "dhn" and args.alpha is not None:
        method_args["alpha"] = args.alpha
    if method in ("dch", "dhn") and args.q_lambda is not None:
        method_args["q_lambda"] = args.q_lambda
    keras.utils.set_random_seed(seed)
    trunk = efficientnet_lite_trunk(args.variant, args.train_from)
    (train_split, train_rows), (query_split, query_rows) = _query_part(args, cache)
    num_train = len(cache.labels(train_split)) if train_rows is None else len(train_rows)
    if method == "dhn_pytorch":
        # Its schedule steps once per epoch: whole epochs of the cache's full batches.
        steps_per_epoch = num_train // batch_size
        epochs = math.ceil(steps / steps_per_epoch)
        steps = epochs * steps_per_epoch
        optimizer = dhn_pytorch_optimizer(lr, epochs, steps_per_epoch)
    else:
        optimizer = deephash_optimizer(
            lr, defaults["decay_step"], defaults["decay_factor"], schedule=args.schedule,
            total_steps=steps,
        )
    callbacks = [IterationProgress(steps)]
    if method in QUANTIZERS:
        if bits % 8:
            raise SystemExit(f"{method}: --bits must be a multiple of 8 (256-word codebooks).")
        model = models.DQN(
            trunk.upper, DQN_OUTPUT_DIM, num_train, num_codebooks=bits // 8, num_codewords=256,
            num_labels=10, codebook_seed=seed, name=method, **method_args,
        )
        callbacks.append(CodebookUpdate(update_period(num_train, batch_size), seed=seed,
                                        verbose=0))
    else:
        model_class = {"dch": models.DCH, "dhn": models.DHN, "dhn_pytorch": models.DHNPyTorch}
        model = model_class[method](trunk.upper, bits, num_labels=10, name=method, **method_args)
    model.compile(optimizer=optimizer)
    train = trunk_cache_dataset(cache, train_split, batch_size, training=True, seed=seed,
                                rows=train_rows, with_indices=method in QUANTIZERS).repeat()
    start = time.time()
    model.fit(train, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=callbacks)
    train_seconds = time.time() - start
    start = time.time()
    database_outputs = model.predict_outputs(trunk_cache_dataset(cache, "database", 256))
    encode_seconds = time.time() - start
    query_outputs = model.predict_outputs(
        trunk_cache_dataset(cache, query_split, 256, rows=query_rows)
    )
    query_labels = cache.labels(query_split)
    if query_rows is not None:
        query_labels = query_labels[query_rows]
    if method in QUANTIZERS:
        report = _quantized_report(model, query_outputs, query_labels, database_outputs,
                                   cache.labels("database"), seed)
    else:
        report = _report(query_outputs, query_labels, database_outputs, cache.labels("database"))
    report["images_per_second"] = _encode_throughput(model, trunk)
    report.update(
        method=method, bits=bits, seed=seed, lr=lr, batch_size=batch_size, steps=steps,
        schedule=args.schedule, validation=args.validation, train_seconds=train_seconds,
        dtype_policy=args.dtype_policy,
        upper_encode_images_per_second=len(database_outputs) / encode_seconds, **method_args,
    )
    # The model on the maps (pretrained/make_presets.py --model): the trunk is in the wheel.
    model_path = os.path.join(os.path.dirname(os.path.abspath(args.out)), f"{key}.keras")
    model.save(model_path)
    report["model"] = model_path
    results[key] = report
    _save_results(args.out, results)
    print(key, json.dumps(report))
    return model


def evaluate_model(args, cache, target, results):
    """A trained model's figures on the cache's queries: `target` is a preset name or the
    path of a `.keras` model on the cached maps."""
    import keras

    from keras_hashing.data import trunk_cache_dataset
    from keras_hashing.models import QuantizationModel
    from keras_hashing.recipes.presets import PRESETS
    from keras_hashing.recipes.presets import load_preset

    def load(name):
        if name not in PRESETS:
            return keras.models.load_model(os.path.expanduser(name), compile=False)
        if PRESETS[name].get("train_from") != args.train_from:
            raise SystemExit(
                f"--evaluate {name}: the preset fine-tuned blocks "
                f"{PRESETS[name].get('train_from')}.., the cache starts at {args.train_from}."
            )
        return load_preset(name, include_trunk=False)

    _, (query_split, query_rows) = _query_part(args, cache)

    def outputs_of(model):
        database = model.predict_outputs(trunk_cache_dataset(cache, "database", 256))
        query = model.predict_outputs(trunk_cache_dataset(cache, query_split, 256, rows=query_rows))
        return query, database

    model = load(target)
    start = time.time()
    query_outputs, database_outputs = outputs_of(model)
    encode_seconds = time.time() - start
    query_labels = cache.labels(query_split)
    if query_rows is not None:
        query_labels = query_labels[query_rows]
    method = type(model).__name__.lower()
    if isinstance(model, QuantizationModel):
        report = _quantized_report(model, query_outputs, query_labels, database_outputs,
                                   cache.labels("database"), seed=0)
        # Under the method's own key names (DTQ's differ from DQN's and DVSQ's).
        renamed = dict(zip(QUANTIZED_KEYS["dqn"], QUANTIZED_KEYS.get(method, ())))
        report = {renamed.get(key, key): value for key, value in report.items()}
    else:
        report = _report(query_outputs, query_labels, database_outputs, cache.labels("database"))
    report.update(method=method, evaluated=target, validation=args.validation,
                  upper_encode_images_per_second=len(database_outputs) / encode_seconds)
    if args.against:
        # How many codes differ from another model's (a preset against the run it was made
        # from): sign codes, or a quantizer's codebook codes (ICM, the report's seeds).
        other = load(args.against)
        pairs = zip(("query", "database"), outputs_of(model), outputs_of(other), (1, 0))
        for split, mine, theirs, seed in pairs:
            if isinstance(model, QuantizationModel):
                mine = model.quantize_outputs(mine, seed=seed)
                theirs = other.quantize_outputs(theirs, seed=seed)
            else:
                mine, theirs = np.sign(mine), np.sign(theirs)
            report[f"{split}_codes_differing"] = int(np.any(mine != theirs, axis=1).sum())
        report["against"] = args.against
    key = f"evaluate_{os.path.basename(target)}" + ("_validation" if args.validation else "")
    results[key] = report
    _save_results(args.out, results)
    print(key, json.dumps(report))


def recipe_for(args, method, bits, seed, cache_directory):
    """DVSQ's or DTQ's recipe with the benchmark's settings, reading the cache in
    `cache_directory`, which must be the one the recipe names (refused before anything is
    built otherwise)."""
    from keras_hashing.recipes.deephash import cached
    from keras_hashing.recipes.deephash import quantizers

    entry = RECIPES[method]
    if bits % 8:
        raise SystemExit(f"{method}: --bits must be a multiple of 8 (256-word codebooks).")
    foreign = (args.batch_size, args.gamma, args.alpha, args.q_lambda)
    if any(value is not None for value in foreign) or args.schedule != "step":
        raise SystemExit(
            f"{method}: --batch-size, --gamma, --alpha, --q-lambda and --schedule are not its "
            "settings."
        )
    settings = dict(
        entry["settings"],
        dataset="cifar10",
        img_model=f"efficientnet_{args.variant}",
        model_weights="imagenet",
        trunk_cache=os.path.dirname(os.path.abspath(cache_directory)),
        train_from=args.train_from,
        train_views=args.train_views,
        validation=args.validation,
        seed=seed,
        save_dir=os.path.join(os.path.dirname(os.path.abspath(args.out)), "recipe_models"),
        log_dir=os.path.join(os.path.dirname(os.path.abspath(args.out)), "recipe_tflog"),
    )
    settings[entry["bits"]] = bits // 8
    settings["data_dir" if method == "dtq" else "data_root"] = os.path.dirname(
        os.path.abspath(os.path.expanduser(args.list_dir).rstrip(os.sep))
    )
    if args.lr is not None:
        settings["lr"] = args.lr
    if args.steps is not None:
        settings[entry["length"]] = args.steps
    recipe = getattr(quantizers, entry["recipe"])(**settings)
    expected = cached.cache_dir(recipe.config)
    if os.path.abspath(expected) != os.path.abspath(cache_directory):
        raise SystemExit(
            f"{method} reads the cache its recipe names, {expected}, not {cache_directory}: "
            "name --cache-dir so (<folder>/cifar10_<variant>_imagenet_from<N>_views<V>) with "
            "--split-at equal to --train-from."
        )
    return recipe


def run_recipe(args, cache, method, bits, seed, results, key):
    """DVSQ or DTQ through its recipe on `cache`."""
    entry = RECIPES[method]
    recipe = recipe_for(args, method, bits, seed, cache.directory)
    data = recipe.load_data()
    model = recipe.build_model(data)
    start = time.time()
    model = recipe.train(model, data)
    train_seconds = time.time() - start
    report = dict(recipe.final_report(model, data))
    config = recipe.config
    report.update(
        method=method, bits=bits, seed=seed, lr=config.lr, steps=getattr(config, entry["length"]),
        steps_are=entry["length"], batch_size=config.batch_size, validation=args.validation,
        train_seconds=train_seconds, model=recipe.model_path(),
    )
    results[key] = report
    _save_results(args.out, results)
    print(key, json.dumps(report))
    return model


def main(argv=None):
    args = parse_args(argv)
    if args.methods is None:
        args.methods = "" if args.evaluate else "dch"
    from keras_hashing.recipes.cached_trunk import build_list_cache
    from keras_hashing.recipes.cached_trunk import deepen_cache
    from keras_hashing.recipes.cached_trunk import efficientnet_lite_trunk

    results = _load_results(args.out)
    final_cache = args.cache_dir
    if args.train_from > args.split_at:
        final_cache = f"{args.cache_dir}_from{args.train_from}"
    for method in [m for m in args.methods.split(",") if m in RECIPES]:
        # Refuses settings or a cache name the recipe cannot take before any cache is built.
        recipe_for(args, method, int(args.bits.split(",")[0]), 0, final_cache)
    trunk = efficientnet_lite_trunk(args.variant, args.split_at)
    start = time.time()
    cache = build_list_cache(args.list_dir, args.cache_dir, trunk, train_views=args.train_views)
    print(f"trunk cache ready in {time.time() - start:.0f} s: {args.cache_dir}")
    if args.train_from > args.split_at:
        start = time.time()
        cache = deepen_cache(cache, f"{args.cache_dir}_from{args.train_from}", args.variant,
                             args.split_at, args.train_from)
        print(f"deeper cache ready in {time.time() - start:.0f} s: {cache.directory}")
    import keras

    # After the cache: its frozen blocks run in float32 whatever the policy, which applies to
    # the trained part (and the baselines' pooled features).
    keras.config.set_dtype_policy(args.dtype_policy)
    if args.baselines:
        run_baselines(args, cache, results)
    if args.evaluate:
        evaluate_model(args, cache, args.evaluate, results)
    for method in [m for m in args.methods.split(",") if m]:
        for bits in [int(b) for b in args.bits.split(",")]:
            for seed in [int(s) for s in args.seeds.split(",")]:
                settings = [args.lr, args.steps, args.batch_size, args.gamma, args.schedule]
                key = f"{method}_{bits}_seed{seed}_" + "_".join(map(str, settings))
                # Settings added later name themselves only when given, so older keys hold.
                if args.alpha is not None:
                    key += f"_alpha{args.alpha}"
                if args.q_lambda is not None:
                    key += f"_q{args.q_lambda}"
                key += "_validation" if args.validation else "_test"
                if args.dtype_policy != "float32":
                    key += f"_{args.dtype_policy}"
                if key in results:
                    print(f"{key}: done, skipped")
                    continue
                run = run_recipe if method in RECIPES else run_method
                run(args, cache, method, bits, seed, results, key)
    rows = [(k, v) for k, v in results.items() if "i2i_after_sign" in v]
    print(f"\n{'run':60s} {'mAP@54000':>9s} {'mAP@1000':>9s} {'P@r2':>6s} {'R@r2':>6s}")
    for key, value in rows:
        print(f"{key:60s} {value['i2i_after_sign']:9.4f} {value['map_at_1000']:9.4f} "
              f"{value['i2i_prec_radius_2']:6.3f} {value['i2i_recall_radius_2']:6.3f}")
    quantized = [(k, v) for k, v in results.items() if v.get("method") in QUANTIZED_KEYS]
    if quantized:
        print(f"\n{'run':60s} {'AQD@54000':>9s} {'AQD@1000':>9s} {'SQD':>6s} {'feature':>7s}")
    for key, value in quantized:
        aqd, sqd, feature = (value[name] for name in QUANTIZED_KEYS[value["method"]])
        at_1000 = f"{value['map_at_1000']:9.4f}" if "map_at_1000" in value else f"{'':9s}"
        print(f"{key:60s} {aqd:9.4f} {at_1000} {sqd:6.3f} {feature:7.3f}")

if __name__ == "__main__":
    main()
