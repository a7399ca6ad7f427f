from tests.api.conftest import api_client, session_client  # noqa: F401 - the API tests' fixtures, shared
