"""The export tests share the API tests' client fixture."""

from tests.api.conftest import api_client  # noqa: F401 - the API tests' fixture, shared
