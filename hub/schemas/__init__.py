"""Pydantic v2 request/response models: the OpenAPI document is generated from them."""
