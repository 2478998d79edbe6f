"""Wire shapes of the accounts, users, invitations and two-factor routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from reelhouse.services.users import MAX_GRANT_NUMBER, MAX_UNIX_TIME
from reelhouse.web.schemas import UserOut

Scope = Literal["read", "stream", "admin"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# As long as a tag the scanner keeps from an NFO (media/nfo caps them at 64 characters).
Label = Annotated[str, Field(min_length=1, max_length=64)]


class Grants(Strict):
    """Per-user permissions; a field left out keeps its value, null puts it back to the default."""

    libraries: Literal["all"] | list[str] | None = None
    max_rating: dict[str, int] | None = None
    hide_unrated: bool | None = None
    allowed_labels: list[Label] | None = Field(default=None, max_length=100)
    blocked_labels: list[Label] | None = Field(default=None, max_length=100)
    may_download: bool | None = None
    may_transcode: bool | None = None
    may_see_location: bool | None = None
    max_bitrate_kbps: int | None = Field(default=None, ge=0, le=MAX_GRANT_NUMBER)
    may_connect_remotely: bool | None = None
    max_streams: int | None = Field(default=None, ge=0, le=MAX_GRANT_NUMBER)
    expires_at: float | None = Field(default=None, ge=0, le=MAX_UNIX_TIME)


class LabelsOut(BaseModel):
    labels: list[str]


class ProfileLoginIn(Strict):
    user_id: str = Field(min_length=1, max_length=32)
    pin: str = Field(default="", max_length=16)


class ProfileOut(BaseModel):
    id: str
    username: str
    has_pin: bool


class AccountOut(BaseModel):
    user: UserOut
    two_factor: bool
    two_factor_pending: bool
    two_factor_required: bool
    recovery_codes_left: int


class SessionOut(BaseModel):
    id: str
    kind: str
    name: str
    scopes: list[str]
    created_at: float
    last_seen_at: float
    last_address: str | None
    expires_at: float | None
    current: bool
    # For a device token: the app that signed in on that device (its own name for itself).
    app: str | None = None


class RevokeAllIn(Strict):
    keep_current: bool = False


class RevokedOut(BaseModel):
    revoked: int


class ApiTokenIn(Strict):
    name: str = Field(min_length=1, max_length=128)
    scopes: list[Scope] = Field(min_length=1, max_length=3)
    days: int = Field(default=30, ge=1, le=365)


class ApiTokenOut(BaseModel):
    token: str
    session: SessionOut


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class PasswordIn(Strict):
    password: str = Field(min_length=1, max_length=256)


class EnrolmentOut(BaseModel):
    secret: str
    uri: str
    qr_svg: str


class CodeIn(Strict):
    code: str = Field(min_length=1, max_length=32)


class QuickConnectOut(BaseModel):
    """The app now signed in: its name for itself and the device's."""

    client: str
    device: str


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class UserDetailOut(BaseModel):
    id: str
    username: str
    role: str
    disabled: bool
    created_at: float
    grants: Grants
    has_password: bool
    two_factor: bool
    last_seen_at: float | None


class UserCreateIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    role: Literal["admin", "member", "managed"] = "member"
    password: str | None = Field(default=None, max_length=256)
    pin: str | None = Field(default=None, max_length=16)
    grants: Grants = Grants()


class UserPatchIn(Strict):
    role: Literal["admin", "member", "managed"] | None = None
    disabled: bool | None = None
    grants: Grants | None = None


class PinIn(Strict):
    pin: str | None = Field(default=None, max_length=16)


class InvitationIn(Strict):
    """`grants.libraries` is required (ids or "all"); `note` stays with admins, `message` is for the friend."""

    role: Literal["admin", "member"] = "member"
    grants: Grants = Grants()
    days: int | None = Field(default=None, ge=1, le=365)
    max_uses: int = Field(default=1, ge=1, le=100)
    note: str | None = Field(default=None, max_length=200)
    message: str | None = Field(default=None, max_length=500)


class InvitationOut(BaseModel):
    id: str
    role: str
    note: str | None
    message: str | None
    grants: Grants
    created_at: float
    expires_at: float
    max_uses: int
    uses: int
    revoked: bool
    live: bool
    redeemed_by: list[str]


class NewInvitationOut(BaseModel):
    invitation: InvitationOut
    code: str
    url: str


class InvitationCheckIn(Strict):
    code: str = Field(min_length=1, max_length=64)


class InvitationOfferOut(BaseModel):
    """What the person invited sees: never the admin's note."""

    server_name: str
    role: str
    message: str | None
    expires_at: float


class RedeemIn(Strict):
    code: str = Field(min_length=1, max_length=64)
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
