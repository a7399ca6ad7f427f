"""The REST API v1: wiring of each domain's router and the one error body."""

from ninja import NinjaAPI

api = NinjaAPI(title="Salespipe API", version="1", urls_namespace="api-v1")
