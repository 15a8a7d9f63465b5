"""Constructor checks the quantization models share, so that their error messages stay alike."""


def require_num_train(model_name, num_train):
    # The codebook keeps one code per training sample, so its size must be known up front.
    if num_train is None:
        raise ValueError(
            f"{model_name} needs `num_train`, the training-set size its codes are kept for."
        )


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {choices}, found {value!r}.")


def positive_int(name, value):
    if int(value) <= 0:
        raise ValueError(f"`{name}` must be positive, found {value!r}.")
    return int(value)


def nonnegative_float(name, value):
    if value is None or float(value) < 0:
        raise ValueError(f"`{name}` must be >= 0, found {value!r}.")
    return float(value)
