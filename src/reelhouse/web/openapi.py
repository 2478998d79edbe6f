"""The OpenAPI 3 document, generated from the route table and the pydantic wire models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from reelhouse.web.routing import Access, Route
from reelhouse.web.schemas import ErrorOut

_PARAM = re.compile(r"\{(\w+)\}")
REF = "#/components/schemas/{model}"


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF, mode="serialization")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _input_schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF, mode="validation")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    return schema


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorOut")}}},
    }


# A client API's errors are in its protocol's own shape (ClientApi.render_error), not ours.
_CLIENT_ERROR = {"schema": {"type": "object"}}


def _client_error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": _CLIENT_ERROR, "application/json": _CLIENT_ERROR},
    }


def _operation(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": route.handler.__name__ + "_" + route.method.lower(),
        "summary": route.summary,
        "tags": [route.tag],
        "security": [] if route.access is Access.PUBLIC else [{"bearer": []}, {"cookie": []}],
    }
    if route.client is not None and route.access is not Access.PUBLIC:
        # Its apps' own credentials; the bearer header and the cookie are never read there.
        op["security"] = [{route.client.name: []}]
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}
        for name in _PARAM.findall(route.path)
    ]
    if route.query is not None:
        query_schema = _input_schema(route.query, components)
        required = set(query_schema.get("required", []))
        for name, prop in query_schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema(route.body, components)}},
        }
    ok: dict[str, Any] = {"description": "Success"}
    if route.response is not None:
        ref = _schema(route.response, components)
        schema = {"type": "array", "items": ref} if route.response_list else ref
        ok["content"] = {"application/json": {"schema": schema}}
    elif route.status != 204:
        ok["content"] = {
            route.produces: {"schema": {"type": "string", "format": "binary"}}
            if route.produces != "application/json"
            # A client protocol answers bare arrays and strings too.
            else {"schema": {} if route.client is not None else {"type": "object"}}
        }
    responses: dict[str, Any] = {str(route.status): ok}
    if route.status == 200 and route.produces != "application/json":
        responses["206"] = {"description": "Partial content"}
        responses["304"] = {"description": "Not modified"}
        responses["416"] = {"description": "Range not satisfiable"}
    error = _client_error if route.client is not None else _error
    responses["400"] = error("Malformed request")
    responses["422"] = error("Invalid input")
    responses["404"] = error("Not found, or not visible to the caller")
    # Public routes answer 401 too: a wrong password or setup code is an authentication failure.
    responses["401"] = error("Not signed in, or the credentials are wrong")
    if route.access is not Access.PUBLIC:
        responses["403"] = error("Not allowed")
    responses["409"] = error("Conflict")
    responses["429"] = error("Too many requests")
    responses["503"] = error("Busy or unavailable")
    op["responses"] = responses
    return op


def build_document(routes: tuple[Route, ...], version: str) -> dict[str, Any]:
    components: dict[str, Any] = {}
    _schema(ErrorOut, components)
    paths: dict[str, dict[str, Any]] = {}
    schemes: dict[str, Any] = {
        "bearer": {"type": "http", "scheme": "bearer"},
        "cookie": {"type": "apiKey", "in": "cookie", "name": "reelhouse"},
    }
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, components)
        if route.client is not None:
            schemes[route.client.name] = {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": f"{route.client.name}'s own credentials: the headers and query fields its apps use",
            }
    return {
        # 3.1: its schema dialect is JSON Schema 2020-12, which is what pydantic writes (anyOf null,
        # numeric exclusiveMinimum); under 3.0 those are invalid and clients reject the document.
        "openapi": "3.1.0",
        "info": {"title": "Reelhouse API", "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": schemes,
        },
    }
