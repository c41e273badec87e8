"""Compile a model once into a nutpie sampler whose data can be swapped without recompiling.

nutpie's own ``compile_pymc_model`` (numba backend) spends 10-60 s in numba on every new process,
because its ctypes wrapper is not cached. Here the log density and its gradient are compiled by
PyTensor (C backend by default, cached on disk under ``pytensor.config.compiledir``), with every
``pm.Data`` container turned into an explicit input, and handed to nutpie's Rust NUTS through
``nutpie.compiled_pyfunc.from_pyfunc``. A refit passes new arrays (``CompiledModel.with_data``);
nothing is rebuilt or recompiled.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
from pymc.initial_point import make_initial_point_fn

__all__ = ["CompiledModel", "compile_model"]


@dataclass
class CompiledModel:
    """A model compiled once; ``sampler(data)`` gives a nutpie model for any data of its shape.

    Attributes
    ----------
    model : pymc.Model
    data_names : tuple of str
        The ``pm.Data`` containers that are inputs of the compiled functions.
    nutpie_model : nutpie PyFuncModel
        Holds the compiled functions; ``with_data`` swaps the arrays.
    """

    model: pm.Model
    data_names: tuple[str, ...]
    nutpie_model: Any
    logp_dlogp: Callable = field(repr=False)
    n_dim: int = 0

    def sampler(self, data: dict[str, np.ndarray]) -> Any:
        """The nutpie model with ``data`` (name -> array) in place of the build-time arrays."""
        unknown = set(data) - set(self.data_names)
        if unknown:
            raise KeyError(f"unknown data containers {sorted(unknown)}; known: {self.data_names}")
        return self.nutpie_model.with_data(**{k: np.asarray(v) for k, v in data.items()})


def _flat_layout(model: pm.Model) -> tuple[list[str], list[tuple[int, ...]], list[slice], int]:
    point = model.initial_point()
    names = [v.name for v in model.value_vars]
    shapes = [tuple(np.shape(point[n])) for n in names]
    slices, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        slices.append(slice(start, start + size))
        start += size
    return names, shapes, slices, start


def compile_model(
    model: pm.Model, data_names: Sequence[str], *, mode: str | None = None
) -> CompiledModel:
    """Compile ``model``'s log density, gradient and trace expansion for nutpie.

    Parameters
    ----------
    model : pymc.Model
    data_names : sequence of str
        Names of the ``pm.Data`` containers to expose as swappable inputs.
    mode : str, optional
        PyTensor compilation mode (default: PyTensor's default, the cached C backend).

    Returns
    -------
    CompiledModel
    """
    from nutpie.compiled_pyfunc import from_pyfunc

    names, shapes, slices, n_dim = _flat_layout(model)
    joined = pt.TensorType("float64", shape=(n_dim,))("unconstrained_point")
    value_vars = [model.rvs_to_values[rv] for rv in model.free_RVs]
    replace = {
        v: joined[sl].reshape(shape).astype(v.dtype)
        for v, sl, shape in zip(value_vars, slices, shapes, strict=True)
    }
    shared = [model[name] for name in data_names]
    data_inputs = [s.type(name=s.name) for s in shared]
    replace.update(zip(shared, data_inputs, strict=True))

    logp = model.logp()
    grad = pt.concatenate([g.ravel() for g in pytensor.grad(logp, value_vars)])
    logp, grad = pytensor.clone_replace([logp, grad], replace)
    logp_dlogp = pytensor.function(
        [joined, *data_inputs], [logp, grad], mode=mode, on_unused_input="ignore"
    )
    logp_dlogp.trust_input = True

    # Trace: constrained free variables and deterministics, as pm.sample stores them.
    traced = [v for v in model.unobserved_value_vars if v.name not in names]
    traced_names = [v.name for v in traced]
    traced_shapes = _traced_shapes(model, traced_names)
    expand = pytensor.function(
        [joined, *data_inputs],
        pytensor.clone_replace(traced, replace),
        mode=mode,
        on_unused_input="ignore",
    )
    expand.trust_input = True
    init = make_initial_point_fn(model=model, jitter_rvs=set(model.free_RVs),
                                 return_transformed=True)

    def make_logp() -> Callable:
        def logp_fn(x: np.ndarray, **data: np.ndarray) -> tuple[float, np.ndarray]:
            value, gradient = logp_dlogp(x, *[data[n] for n in data_names])
            return float(value), gradient

        return logp_fn

    def make_expand(seed1: int, seed2: int, chain: int) -> Callable:
        def expand_fn(x: np.ndarray, **data: np.ndarray) -> dict[str, np.ndarray]:
            values = expand(x, *[data[n] for n in data_names])
            return {
                n: np.asarray(v, dtype="float64").reshape(s)
                for n, v, s in zip(traced_names, values, traced_shapes, strict=True)
            }

        return expand_fn

    def initial_point(seed: int) -> np.ndarray:
        point = init(seed)
        return np.concatenate([np.ravel(point[n]) for n in names]).astype("float64")

    dims = {n: tuple(model.named_vars_to_dims.get(n, ())) for n in traced_names}
    nutpie_model = from_pyfunc(
        ndim=n_dim,
        make_logp_fn=make_logp,
        make_expand_fn=make_expand,
        expanded_dtypes=[np.dtype("float64")] * len(traced_names),
        expanded_shapes=traced_shapes,
        expanded_names=traced_names,
        # nutpie's trace wants string labels; callers restore typed coordinates afterwards.
        coords={k: [str(c) for c in v] for k, v in model.coords.items()},
        dims={k: v for k, v in dims.items() if v},
        shared_data={n: np.asarray(model[n].get_value()) for n in data_names},
        make_initial_point_fn=initial_point,
    )
    return CompiledModel(model=model, data_names=tuple(data_names), nutpie_model=nutpie_model,
                         logp_dlogp=logp_dlogp, n_dim=n_dim)


def _traced_shapes(model: pm.Model, traced_names: list[str]) -> list[tuple[int, ...]]:
    evaluated = model.compile_fn(
        [model[n] for n in traced_names], inputs=model.value_vars, point_fn=False,
        on_unused_input="ignore",
    )(*[model.initial_point()[v.name] for v in model.value_vars])
    return [tuple(np.shape(v)) for v in evaluated]
