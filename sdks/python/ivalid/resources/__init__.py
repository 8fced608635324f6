"""Resource services, one per REST resource; reached as attributes of `ivalid.Client`."""

from .appointments import Appointments
from .availability import Availability
from .customers import Customers
from .events import Events
from .integrations import Integrations
from .services import Services
from .teams import Teams
from .technicians import Technicians
from .webhooks import Webhooks

__all__ = [
    "Appointments",
    "Availability",
    "Customers",
    "Events",
    "Integrations",
    "Services",
    "Teams",
    "Technicians",
    "Webhooks",
]
