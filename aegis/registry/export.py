"""Fitted estimators -> ONNX bytes (skl2onnx for scikit-learn, torch.onnx.export for torch).

Training side only: imports scikit-learn, skl2onnx and torch inside the functions.
Every graph takes one float32 input ``X``; the probability of class 1 is read from the output
named in :data:`OUTPUT` (column 1 of ``probabilities`` for scikit-learn, ``p`` for torch).
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

OPSET = 17
INPUT_NAME = "X"
#: model kind -> (output name, column of P(y=1) or None for a 1-d output)
OUTPUT: dict[str, tuple[str, int | None]] = {
    "sklearn": ("probabilities", 1),
    "torch": ("p", None),
}


def sklearn_to_onnx(estimator: Any, example: NDArray[np.float32]) -> bytes:
    """Convert an estimator exposing ``onnx_source()`` (fitted scikit-learn object); zipmap off."""
    from skl2onnx import to_onnx
    from sklearn.pipeline import Pipeline

    source = estimator.onnx_source()
    classifier = source.steps[-1][1] if isinstance(source, Pipeline) else source
    model = to_onnx(
        source,
        example[:1].astype(np.float32),
        options={id(classifier): {"zipmap": False}},
        target_opset=OPSET,
        initial_types=None,
    )
    inputs = [i.name for i in model.graph.input]
    if inputs != [INPUT_NAME]:
        # skl2onnx names the input "X" after the example; fail loudly if that ever changes
        raise ValueError(f"skl2onnx produced inputs {inputs}; expected [{INPUT_NAME!r}]")
    return bytes(model.SerializeToString())


def torch_to_onnx(estimator: Any, example: NDArray[np.float32]) -> bytes:
    """Export ``estimator.module_`` with a dynamic batch axis (TorchScript exporter)."""
    import torch

    module = estimator.module_.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        torch.onnx.export(
            module,
            (torch.from_numpy(np.ascontiguousarray(example[:2], dtype=np.float32)),),
            buffer,  # type: ignore[arg-type]  # file-like objects are accepted
            input_names=[INPUT_NAME],
            output_names=[OUTPUT["torch"][0]],
            dynamic_axes={INPUT_NAME: {0: "n"}, OUTPUT["torch"][0]: {0: "n"}},
            opset_version=OPSET,
            dynamo=False,
        )
    return buffer.getvalue()


def to_onnx_bytes(kind: str, estimator: Any, example: NDArray[np.float32]) -> bytes:
    """ONNX bytes of a fitted estimator of ``kind`` (``"sklearn"`` or ``"torch"``)."""
    if kind == "sklearn":
        return sklearn_to_onnx(estimator, example)
    if kind == "torch":
        return torch_to_onnx(estimator, example)
    raise ValueError(f"unknown model kind {kind!r}; expected 'sklearn' or 'torch'")


def library_versions() -> dict[str, str]:
    """Versions of the libraries that trained and exported the model."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for dist in ("numpy", "pandas", "scikit-learn", "torch", "skl2onnx", "onnx", "onnxruntime"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "absent"
    return out
