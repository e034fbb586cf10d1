"""pytest-trace-opt: the test suite as the training signal for Microsoft Trace.

Only light names live here; nothing in this package imports ``opto.optimizers`` or
LiteLLM unless ``--trace-optimize`` is on.
"""

from pytest_trace_opt.decorator import TrainableDefinitionError, trainable

__version__ = "0.1.0"

__all__ = ["TrainableDefinitionError", "__version__", "trainable"]
