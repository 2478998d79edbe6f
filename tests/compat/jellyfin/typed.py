"""Every JSON answer a Jellyfin test receives through `jellyfin_client` is parsed by the OpenAPI-generated
client's own typed models (PyPI `jellyfin-api-client`), as a typed app would parse it: a field of the wrong
type, an unknown enum value or a malformed date fails the test that received it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jellyfin_api_client import models

from tests.harness import Answer, Client

_ID = r"[^/]+"
# Path (under /jellyfin, compared case-blind like the server does) -> (model, whether the answer is a list).
_MODELS: list[tuple[re.Pattern[str], Any, bool]] = [
    (re.compile(pattern + r"/?$", re.IGNORECASE), model, many)
    for pattern, model, many in (
        (r"/System/Info/Public", models.PublicSystemInfo, False),
        (r"/System/Info", models.SystemInfo, False),
        (r"/Branding/Configuration", models.BrandingOptions, False),
        (r"/Users/AuthenticateByName", models.AuthenticationResult, False),
        (r"/Users/AuthenticateWithQuickConnect", models.AuthenticationResult, False),
        (r"/QuickConnect/(Initiate|Connect)", models.QuickConnectResult, False),
        (r"/Users/Me", models.UserDto, False),
        (rf"/Users/(?!Public$|AuthenticateBy){_ID}", models.UserDto, False),
        (r"/Sessions", models.SessionInfo, True),
        (rf"/(Users/{_ID}/)?Items/Latest", models.BaseItemDto, True),
        (rf"/(Users/{_ID}/)?Items/(Resume|Suggestions)", models.BaseItemDtoQueryResult, False),
        (r"/UserItems/Resume", models.BaseItemDtoQueryResult, False),
        (rf"/(Users/{_ID}/)?Items", models.BaseItemDtoQueryResult, False),
        (rf"/(Users/{_ID}/)?Items/{_ID}/UserData", models.UserItemDataDto, False),
        (rf"/UserItems/{_ID}/UserData", models.UserItemDataDto, False),
        (rf"/(Users/{_ID}/)?Items/(?!Latest$|Resume$|Suggestions$){_ID}", models.BaseItemDto, False),
        (rf"/Items/{_ID}/(Similar|InstantMix)", models.BaseItemDtoQueryResult, False),
        (rf"/Items/{_ID}/PlaybackInfo", models.PlaybackInfoResponse, False),
        (rf"/(UserViews|Users/{_ID}/Views|Library/MediaFolders)", models.BaseItemDtoQueryResult, False),
        (r"/Shows/NextUp", models.BaseItemDtoQueryResult, False),
        (rf"/Shows/{_ID}/(Seasons|Episodes)", models.BaseItemDtoQueryResult, False),
        (r"/(Artists|Artists/AlbumArtists|Genres)", models.BaseItemDtoQueryResult, False),
        (rf"/DisplayPreferences/{_ID}", models.DisplayPreferencesDto, False),
    )
]


def model_for(path: str) -> tuple[Any, bool] | None:
    tail = path.split("?", 1)[0].removeprefix("/jellyfin")
    for pattern, model, many in _MODELS:
        if pattern.match(tail):
            return model, many
    return None


def parse_typed(path: str, answer: Answer) -> None:
    content = answer.header("Content-Type") or ""
    if not 200 <= answer.status < 300 or not content.startswith("application/json"):
        return
    found = model_for(path)
    if found is None:
        return
    model, many = found
    body = answer.json()
    checks = [(model, one) for one in (body if many else [body])]
    if model is models.BaseItemDtoQueryResult and isinstance(body, dict):
        # The list model falls back to raw data when an element does not parse; the elements are parsed here.
        checks += [(models.BaseItemDto, one) for one in body.get("Items") or []]
    for kind, one in checks:
        try:
            kind.from_dict(one)
        except (KeyError, TypeError, ValueError) as exc:
            raise AssertionError(f"{path}: {kind.__name__} cannot parse the answer: {exc!r}") from exc


@dataclass
class TypedClient(Client):
    """A Client whose JSON answers must parse as the Jellyfin API's typed models."""

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        answer = super().request(method, path, body=body, headers=headers, raw=raw)
        parse_typed(path, answer)
        return answer
