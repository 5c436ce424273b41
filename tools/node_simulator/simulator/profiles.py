"""Server profiles: the ways real node implementations differ (see shared node-api notes)."""
from __future__ import annotations

import dataclasses

ERROR_BODY_STYLES = ("html", "json_error", "json_message", "empty")
GET_BODY_STYLES = ("full", "extra", "empty")


@dataclasses.dataclass(frozen=True)
class NodeProfile:
    """How one node answers. Defaults follow the documented API."""

    delete_absent_status: int = 404
    trailing_slash: bool = True
    # None = 308 when the canonical form has the trailing slash, 307 otherwise (as servers in the wild do).
    redirect_status: int | None = None
    error_body: str = "json_error"
    get_body: str = "full"
    require_json_content_type: bool = True
    json_content_type_status: int = 415
    name: str = "custom"
    # A hostile or compromised node: this text (e.g. Jinja) in every error body, every error's reason phrase and
    # every group body, and, with hostile_redirect, in every redirect's target, which then points at another origin.
    hostile_text: str | None = None
    hostile_redirect: bool = False

    def __post_init__(self) -> None:
        if self.error_body not in ERROR_BODY_STYLES:
            raise ValueError(f"error_body must be one of {ERROR_BODY_STYLES}, not {self.error_body!r}")
        if self.get_body not in GET_BODY_STYLES:
            raise ValueError(f"get_body must be one of {GET_BODY_STYLES}, not {self.get_body!r}")
        if self.delete_absent_status not in (200, 404):
            raise ValueError("delete_absent_status must be 200 or 404")

    @property
    def effective_redirect_status(self) -> int:
        if self.redirect_status is not None:
            return self.redirect_status
        return 308 if self.trailing_slash else 307

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


PROFILES: dict[str, NodeProfile] = {
    "default": NodeProfile(name="default"),
    "lenient_delete": NodeProfile(delete_absent_status=200, name="lenient_delete"),
    "no_trailing_slash": NodeProfile(trailing_slash=False, name="no_trailing_slash"),
    "html_errors": NodeProfile(error_body="html", name="html_errors"),
    "json_message_errors": NodeProfile(error_body="json_message", name="json_message_errors"),
    "empty_bodies": NodeProfile(error_body="empty", get_body="empty", name="empty_bodies"),
    "extra_fields": NodeProfile(get_body="extra", name="extra_fields"),
    "strict_422": NodeProfile(json_content_type_status=422, name="strict_422"),
}


def resolve_profile(profile: NodeProfile | str | None) -> NodeProfile:
    """Accept a NodeProfile, a PROFILES name or None (default)."""
    if profile is None:
        return PROFILES["default"]
    if isinstance(profile, NodeProfile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown profile {profile!r}; known: {sorted(PROFILES)}") from None
