"""keras_hashing.metrics."""
from keras_hashing.metrics.topk import hamming_pr_curve
from keras_hashing.metrics.topk import map_at_topk
