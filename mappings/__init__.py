"""Declarative field mappings between our objects and remote ones, and the engine applying them."""

from mappings import (
    crm,  # noqa: F401  (registers the CRM transforms)
    record_transforms,  # noqa: F401  (registers its transforms)
)
from mappings.engine import (
    FieldMapping,
    MappingError,
    apply,
    content_hash,
    from_dict,
    is_echo,
    load,
    load_file,
    loads,
    preview,
    preview_inbound,
    remote_deleted,
    with_override,
)

__all__ = [
    "FieldMapping",
    "MappingError",
    "apply",
    "content_hash",
    "from_dict",
    "is_echo",
    "load",
    "load_file",
    "loads",
    "preview",
    "preview_inbound",
    "remote_deleted",
    "with_override",
]
