"""iValid API v2 client: `from ivalid import Client`.

```python
from ivalid import Client

client = Client(api_key="your_api_key", environment="sandbox")
appointments = client.appointments.list(status="confirmed", date_from="2025-01-01")
```
"""

from . import types, webhooks
from ._client import ENVIRONMENTS, Client
from ._errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    IdempotencyError,
    InvalidStatusTransition,
    IValidError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SignatureVerificationError,
    SlotNotAvailable,
    ValidationError,
)
from ._object import IValidObject
from ._pagination import Page
from ._version import __version__

__all__ = [
    "ENVIRONMENTS",
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "IValidError",
    "IValidObject",
    "IdempotencyError",
    "InvalidStatusTransition",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "SignatureVerificationError",
    "SlotNotAvailable",
    "ValidationError",
    "__version__",
    "types",
    "webhooks",
]
