"""Callbacks: retrieval evaluation, code/codebook updates and training guards."""

from keras_hashing.callbacks.cross_modal import CrossModalEvaluation
from keras_hashing.callbacks.cross_modal import DADHCodeUpdate
from keras_hashing.callbacks.cross_modal import DADHLearningRateDecay
from keras_hashing.callbacks.cross_modal import DJSRHSlopeSchedule
from keras_hashing.callbacks.cross_modal import dadh_code_update
from keras_hashing.callbacks.progress import IterationProgress
from keras_hashing.callbacks.quantization import CodebookUpdate
from keras_hashing.callbacks.quantization import TripletQuantizationUpdate
from keras_hashing.callbacks.quantization import quantization_round
from keras_hashing.callbacks.quantization import update_period
from keras_hashing.callbacks.retrieval_evaluation import RetrievalEvaluation
from keras_hashing.callbacks.run_backup import RunBackup
from keras_hashing.callbacks.run_backup import run_name
from keras_hashing.callbacks.run_backup import save_model_atomically
from keras_hashing.callbacks.run_backup import settings_digest
from keras_hashing.callbacks.training import NonFiniteLossError
from keras_hashing.callbacks.training import StopAtStep
from keras_hashing.callbacks.training import TerminateOnNonFiniteLoss
