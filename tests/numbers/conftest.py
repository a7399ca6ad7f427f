from tests.analytics.conftest import closed_deal  # noqa: F401 - the report tests' fixture, shared
from tests.api.conftest import api_client, session_client  # noqa: F401 - the API tests' fixtures, shared
