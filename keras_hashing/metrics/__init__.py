"""Retrieval metrics: thulab/DeepHash's mAP@R family (`evaluation`), cross-modal mAP, plots."""

from keras_hashing.metrics.cross_modal import cross_modal_map
from keras_hashing.metrics.cross_modal import evaluate_cross_modal
from keras_hashing.metrics.cross_modal import precision_at_top_r
from keras_hashing.metrics.cross_modal_plots import cross_modal_curves
from keras_hashing.metrics.cross_modal_plots import plot_cross_modal_curves
from keras_hashing.metrics.device import map_after_sign_device
from keras_hashing.metrics.distances import DIST_TYPES
from keras_hashing.metrics.distances import distance
from keras_hashing.metrics.plots import plot_precision_recall_curves
from keras_hashing.metrics.report import QUANTIZED_REPORT_KEYS
from keras_hashing.metrics.report import deephash_report
from keras_hashing.metrics.report import quantized_report
from keras_hashing.metrics.retrieval import hash_sign
from keras_hashing.metrics.retrieval import map_after_sign
from keras_hashing.metrics.retrieval import map_after_sign_with_rerank
from keras_hashing.metrics.retrieval import map_at_r
from keras_hashing.metrics.retrieval import map_quantized
from keras_hashing.metrics.retrieval import precision_recall_at_radius
from keras_hashing.metrics.retrieval import precision_recall_curves
from keras_hashing.metrics.summary import collapse_warning
from keras_hashing.metrics.summary import count_distinct_codes
from keras_hashing.metrics.summary import format_table
from keras_hashing.metrics.topk import hamming_pr_curve
from keras_hashing.metrics.topk import map_at_topk
