"""Zoho CRM: contacts ↔ customers, leads → customers (REST API v8, per-data-centre hosts)."""

from connectors.zoho.connector import ZohoConnector

__all__ = ["ZohoConnector"]
