"""Every model and parameter type, for annotations: `from ivalid.types import Appointment`."""

from ._models import *  # noqa: F403
from ._models import __all__ as _models_all
from ._params import *  # noqa: F403
from ._params import __all__ as _params_all

__all__ = [*_models_all, *_params_all]
