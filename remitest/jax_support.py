"""What the JAX path (``sampler="numpyro"``) needs beyond a stock PyTensor install.

PyMC's censored-normal log-CDF uses ``erfcx``, for which PyTensor's JAX backend only has an
implementation through ``tfp-nightly``. This registers a small, stable one instead. Imported only
when the JAX path is asked for.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy.special import erfc
from pytensor.link.jax.dispatch import jax_funcify
from pytensor.scalar.math import Erfcx

__all__ = ["erfcx"]

# Above this, exp(x^2) overflows in float64; the asymptotic series is accurate to ~1e-16 there.
_SWITCH = 25.0


def erfcx(x):
    """Scaled complementary error function ``exp(x^2) * erfc(x)``, stable for large ``x``."""
    small = jnp.where(x < _SWITCH, x, 0.0)  # keeps the unused branch (and its gradient) finite
    large = jnp.where(x < _SWITCH, _SWITCH, x)
    direct = jnp.exp(small * small) * erfc(small)
    inv2 = 1.0 / (large * large)
    series = (1.0 - 0.5 * inv2 + 0.75 * inv2 * inv2 - 1.875 * inv2**3) / (large * jnp.sqrt(jnp.pi))
    return jnp.where(x < _SWITCH, direct, series)


@jax_funcify.register(Erfcx)
def _jax_funcify_erfcx(op, **kwargs):
    return erfcx
