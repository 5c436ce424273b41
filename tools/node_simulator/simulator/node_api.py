"""The documented node API (create, delete, read) as one node answers it under its profile."""
from __future__ import annotations

import base64
import dataclasses
import hmac
import html
import json
import urllib.parse
from email.message import Message
from http import HTTPStatus

from .node import Node
from .profiles import NodeProfile

COLLECTION_PATHS = ("/v1/group/", "/v1/group")
ITEM_PREFIX = "/v1/group/"
EXISTS_MESSAGE = "Bad request. Perhaps the object exists."
# padding in an echo_authorization body: the echoed token then starts 40 characters before a 200-character cut (and
# straddles it: tokens are longer), so that a cut made before redaction would leave a long prefix of it
ECHO_PADDING = 100


@dataclasses.dataclass
class ApiRequest:
    method: str
    path: str  # node-relative, raw (still URL-encoded), query included
    headers: Message
    body: bytes
    prefix: str = ""  # "/node7" in the prefix layout, for redirect locations


@dataclasses.dataclass
class ApiResponse:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    reason: str | None = None  # the status line's phrase; None: the standard one


def json_response(status: int, payload: object) -> ApiResponse:
    return ApiResponse(status, json.dumps(payload).encode(), "application/json")


def error_response(profile: NodeProfile, status: int, message: str | None = None) -> ApiResponse:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    text = message or reason
    if profile.hostile_text is not None:
        text = f"{text} {profile.hostile_text}"
    response = _error_body(profile, status, reason, text)
    response.reason = _status_line_safe(profile.hostile_text)
    return response


def _status_line_safe(text: str | None) -> str | None:
    return None if text is None else "".join(character for character in text if character.isprintable())


def _error_body(profile: NodeProfile, status: int, reason: str, text: str) -> ApiResponse:
    if profile.error_body == "json_error":
        return json_response(status, {"error": text})
    if profile.error_body == "json_message":
        return json_response(status, {"message": text})
    if profile.error_body == "html":
        page = (f"<!DOCTYPE html><html><head><title>{status} {reason}</title></head>"
                f"<body><h1>{status} {reason}</h1><p>{html.escape(text)}</p></body></html>")
        return ApiResponse(status, page.encode(), "text/html; charset=utf-8")
    return ApiResponse(status)


def echo_authorization(request: ApiRequest, status: int) -> ApiResponse:
    """``status`` with a body echoing the request's Authorization header the ways real servers do: JSON-escaped as
    PHP's json_encode writes it (``\\/``), percent-encoded, and in base64 (the echo_authorization fault)."""
    header = request.headers.get("Authorization") or ""
    payload = {"error": "unauthorized", "detail": "x" * ECHO_PADDING, "received": header,
               "received_url": urllib.parse.quote(header, safe=""), "received_b64": base64.b64encode(header.encode()).decode()}
    return ApiResponse(status, json.dumps(payload).replace("/", "\\/").encode(), "application/json")


def serve(node: Node, request: ApiRequest) -> ApiResponse:
    """Answer one request normally (auth, routing, state change). Faults are applied by the caller."""
    profile = node.profile
    if not _authorized(node.token, request.headers.get("Authorization")):
        response = error_response(profile, 401, "missing or wrong bearer token")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    path = urllib.parse.urlsplit(request.path).path
    if path in COLLECTION_PATHS:
        return _serve_collection(node, request)
    if path.startswith(ITEM_PREFIX):
        return _serve_item(node, request, path[len(ITEM_PREFIX):])
    return error_response(profile, 404)


def _authorized(token: str | None, header: str | None) -> bool:
    if token is None:
        return True
    expected = f"Bearer {token}".encode()
    return header is not None and hmac.compare_digest(header.encode("utf-8", "replace"), expected)


def _serve_collection(node: Node, request: ApiRequest) -> ApiResponse:
    profile = node.profile
    if request.method not in ("POST", "DELETE"):
        return error_response(profile, 405)
    if profile.require_json_content_type and not _is_json(request.headers.get("Content-Type")):
        return error_response(profile, profile.json_content_type_status, "Content-Type must be application/json")
    group_id = _group_id_from_body(request.body)
    if group_id is None:
        return error_response(profile, 400, "body must be a JSON object with a string groupId")
    if request.method == "POST":
        return _create(node, group_id)
    return _delete(node, group_id)


def _is_json(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";")[0].strip().lower() == "application/json"


def _group_id_from_body(body: bytes) -> str | None:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    group_id = payload.get("groupId")
    if not isinstance(group_id, str) or not group_id:
        return None
    return group_id


def _create(node: Node, group_id: str) -> ApiResponse:
    with node.lock:
        if group_id in node.groups:
            return error_response(node.profile, 400, EXISTS_MESSAGE)
        node.groups.add(group_id)
    return json_response(201, {"groupId": group_id})


def _delete(node: Node, group_id: str) -> ApiResponse:
    with node.lock:
        existed = group_id in node.groups
        node.groups.discard(group_id)
    if existed or node.profile.delete_absent_status == 200:
        return json_response(200, {"groupId": group_id})
    return error_response(node.profile, 404)


def _serve_item(node: Node, request: ApiRequest, raw_rest: str) -> ApiResponse:
    profile = node.profile
    has_slash = raw_rest.endswith("/")
    raw_id = raw_rest[:-1] if has_slash else raw_rest
    if not raw_id or "/" in raw_id:
        return error_response(profile, 404)
    if request.method != "GET":
        return error_response(profile, 405)
    if has_slash != profile.trailing_slash:
        return _redirect(profile, request, raw_id)
    try:
        group_id = urllib.parse.unquote(raw_id, errors="strict")
    except UnicodeDecodeError:
        return error_response(profile, 404)
    with node.lock:
        exists = group_id in node.groups
    if not exists:
        return error_response(profile, 404)
    return _group_body(node, group_id)


def _redirect(profile: NodeProfile, request: ApiRequest, raw_id: str) -> ApiResponse:
    location = f"{request.prefix}{ITEM_PREFIX}{raw_id}{'/' if profile.trailing_slash else ''}"
    query = urllib.parse.urlsplit(request.path).query
    if query:
        location += f"?{query}"
    if profile.hostile_redirect:
        location = f"http://127.0.0.2:9/{profile.hostile_text or ''}{location}"
    return ApiResponse(profile.effective_redirect_status, headers={"Location": location})


def _group_body(node: Node, group_id: str) -> ApiResponse:
    if node.profile.get_body == "empty":
        return ApiResponse(200)
    payload = {"groupId": group_id}
    if node.profile.get_body == "extra":
        payload["nodeId"] = node.name
    if node.profile.hostile_text is not None:
        payload["note"] = node.profile.hostile_text
    return json_response(200, payload)


def serve_stale_read(node: Node, request: ApiRequest) -> ApiResponse | None:
    """A stale replica's answer: a GET of a group says 404 for a group that exists, 200 for one that does not.
    None when the request is not such a read (a redirect hop, another path): serve it normally instead."""
    response = serve(node, request)
    group_id = _item_group_id(request.path) if request.method == "GET" else None
    if group_id is None or response.status not in (200, 404):
        return None
    return error_response(node.profile, 404) if response.status == 200 else _group_body(node, group_id)


def apply_second_writer(node: Node, request: ApiRequest) -> None:
    """Another client's write of the same group lands first: a POST's group is created, a DELETE's deleted."""
    path = urllib.parse.urlsplit(request.path).path
    group_id = _group_id_from_body(request.body) if path in COLLECTION_PATHS else None
    if group_id is None:
        return
    with node.lock:
        if request.method == "POST":
            node.groups.add(group_id)
        elif request.method == "DELETE":
            node.groups.discard(group_id)


def _item_group_id(raw_path: str) -> str | None:
    path = urllib.parse.urlsplit(raw_path).path
    if not path.startswith(ITEM_PREFIX):
        return None
    raw_id = path[len(ITEM_PREFIX):].rstrip("/")
    if not raw_id or "/" in raw_id:
        return None
    try:
        return urllib.parse.unquote(raw_id, errors="strict")
    except UnicodeDecodeError:
        return None
