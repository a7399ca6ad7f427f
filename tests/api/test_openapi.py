"""The API describes itself (OpenAPI and interactive docs), and docs/api.md documents every endpoint."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@pytest.fixture
def schema(db: None) -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_the_openapi_schema_is_served_with_the_deal_endpoints(schema: dict[str, Any]) -> None:
    # then
    assert schema["info"]["title"] == "Salespipe API"
    assert schema["info"]["version"] == "1"
    assert {"/api/v1/deals", "/api/v1/deals/{deal_id}", "/api/v1/deals/{deal_id}/move"} <= set(
        schema["paths"]
    )
    assert set(schema["paths"]["/api/v1/deals/{deal_id}"]) == {"get", "patch", "delete"}
    assert "ETag" in schema["paths"]["/api/v1/deals/{deal_id}"]["get"]["responses"]["200"]["headers"]


def test_every_operation_has_a_summary_and_documents_its_errors_with_the_error_schema(
    schema: dict[str, Any],
) -> None:
    # when
    operations = [
        (f"{method.upper()} {path}", operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]

    # then
    for name, operation in operations:
        assert operation.get("summary"), name
        errors = {
            code: answer for code, answer in operation["responses"].items() if code.startswith(("4", "5"))
        }
        assert "401" in errors, name
        for answer in errors.values():
            assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut"), name


def test_the_interactive_docs_page_is_served(db: None) -> None:
    # when
    response = Client().get("/api/v1/docs")

    # then
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_every_endpoint_in_the_schema_is_documented_in_docs_api_md(schema: dict[str, Any]) -> None:
    # given
    documented = DOCS.read_text(encoding="utf-8")

    # when
    missing = [
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method in methods
        if not re.search(rf"`{method.upper()} {re.escape(path)}`", documented)
    ]

    # then
    assert missing == [], f"Document these endpoints in docs/api.md: {missing}"
