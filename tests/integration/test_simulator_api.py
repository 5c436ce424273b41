"""The simulated node API over real HTTP: documented behaviour, every profile, auth, TLS, prefix layout."""
from __future__ import annotations

import http.client
import json
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from simulator import PROFILES, NodeProfile
from simulator.testing import create, delete, read


def test_create_read_delete_cycle(simulated_cluster):
    cluster = simulated_cluster(node_count=2)
    url = cluster.url("node1")
    assert create(url, "g1").status_code == 201
    assert cluster.snapshot() == {"node1": ["g1"], "node2": []}
    again = create(url, "g1")
    assert again.status_code == 400 and "Perhaps the object exists" in again.json()["error"]
    found = read(url, "g1")
    assert (found.status_code, found.json()) == (200, {"groupId": "g1"})
    assert delete(url, "g1").status_code == 200
    assert read(url, "g1").status_code == 404
    assert delete(url, "g1").status_code == 404
    statuses = [(entry.method, entry.path, entry.status, entry.fault) for entry in cluster.nodes["node1"].log]
    assert statuses == [("POST", "/v1/group/", 201, None), ("POST", "/v1/group/", 400, None),
                        ("GET", "/v1/group/g1/", 200, None), ("DELETE", "/v1/group/", 200, None),
                        ("GET", "/v1/group/g1/", 404, None), ("DELETE", "/v1/group/", 404, None)]
    assert cluster.requests_per_node() == {"node1": 6, "node2": 0}


def _expected_error_body(profile: NodeProfile, response: requests.Response) -> None:
    if profile.error_body == "json_error":
        assert "error" in response.json()
    elif profile.error_body == "json_message":
        assert "message" in response.json()
    elif profile.error_body == "html":
        assert response.headers["Content-Type"].startswith("text/html") and "<html>" in response.text
    else:
        assert response.content == b"" and response.headers["Content-Length"] == "0"


@pytest.mark.parametrize("profile_name, profile", PROFILES.items(), ids=list(PROFILES))
def test_profile_behaves_as_declared(simulated_cluster, profile_name, profile):
    cluster = simulated_cluster(node_count=1, profiles=profile_name)
    url = cluster.url("node1")
    assert create(url, "g").status_code == 201
    canonical = read(url, "g", trailing_slash=profile.trailing_slash)
    expected_body = {"full": {"groupId": "g"}, "extra": {"groupId": "g", "nodeId": "node1"}, "empty": None}
    assert canonical.status_code == 200
    assert (canonical.json() if canonical.content else None) == expected_body[profile.get_body]
    other_form = read(url, "g", trailing_slash=not profile.trailing_slash, allow_redirects=False)
    assert other_form.status_code == (308 if profile.trailing_slash else 307)
    assert other_form.headers["Location"] == "/v1/group/g" + ("/" if profile.trailing_slash else "")
    assert read(url, "g", trailing_slash=not profile.trailing_slash).status_code == 200  # requests follows it
    no_json = requests.post(url + "/v1/group/", data='{"groupId": "h"}', timeout=5)
    assert no_json.status_code == profile.json_content_type_status
    _expected_error_body(profile, no_json)
    assert delete(url, "g").status_code == 200
    absent = delete(url, "g")
    assert absent.status_code == profile.delete_absent_status
    missing = read(url, "g", trailing_slash=profile.trailing_slash)
    assert missing.status_code == 404
    _expected_error_body(profile, missing)
    assert cluster.snapshot() == {"node1": []}


def test_profiles_are_set_per_node(simulated_cluster):
    cluster = simulated_cluster(node_count=3, profiles={"node2": "lenient_delete"})
    cluster.nodes["node3"].profile = NodeProfile(delete_absent_status=200, error_body="empty")
    statuses = {name: delete(url, "absent").status_code for name, url in cluster.urls().items()}
    assert statuses == {"node1": 404, "node2": 200, "node3": 200}


def test_json_content_type_check_can_be_off(simulated_cluster):
    cluster = simulated_cluster(node_count=1, profiles=[NodeProfile(require_json_content_type=False)])
    response = requests.post(cluster.url("node1") + "/v1/group/", data='{"groupId": "g"}', timeout=5)
    assert response.status_code == 201 and cluster.snapshot() == {"node1": ["g"]}


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"groupId": 5}', b"{}", b'{"groupId": ""}', b"\xff"])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_malformed_bodies_are_400_and_change_nothing(simulated_cluster, method, body):
    cluster = simulated_cluster(node_count=1)
    cluster.nodes["node1"].groups = {"5"}
    response = requests.request(method, cluster.url("node1") + "/v1/group/", data=body,
                                headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400
    assert cluster.snapshot() == {"node1": ["5"]}


def test_collection_path_without_slash_serves_writes(simulated_cluster):
    cluster = simulated_cluster(node_count=1)
    url = cluster.url("node1") + "/v1/group"
    assert requests.post(url, json={"groupId": "g"}, timeout=5).status_code == 201
    assert requests.delete(url, json={"groupId": "g"}, timeout=5).status_code == 200


@pytest.mark.parametrize("group_id", ["a b", "x/y", "grüße", "50%", "q?x#y", "semi;colon"])
def test_group_ids_are_url_decoded_from_the_path(simulated_cluster, group_id):
    cluster = simulated_cluster(node_count=1)
    url = cluster.url("node1")
    assert create(url, group_id).status_code == 201
    response = read(url, group_id)
    assert (response.status_code, response.json()) == (200, {"groupId": group_id})
    assert cluster.nodes["node1"].log[-1].path == "/v1/group/" + urllib.parse.quote(group_id, safe="") + "/"


def test_unknown_paths_and_methods(simulated_cluster):
    cluster = simulated_cluster(node_count=1)
    url = cluster.url("node1")
    assert requests.get(url + "/v2/other", timeout=5).status_code == 404
    assert requests.get(url + "/v1/group/a/b/", timeout=5).status_code == 404
    assert requests.put(url + "/v1/group/", json={"groupId": "g"}, timeout=5).status_code == 405


def test_keep_alive_and_content_length_on_every_answer(simulated_cluster):
    cluster = simulated_cluster(node_count=1)
    address = urllib.parse.urlsplit(cluster.url("node1"))
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=5)
    try:
        answers, sockets = [], []
        for method, path, body in [("GET", "/v1/group/x/", None), ("GET", "/v1/group/x", None),
                                   ("POST", "/v1/group/", json.dumps({"groupId": "x"}))]:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response_body = response.read()
            sockets.append(connection.sock)
            answers.append((response.status, response.version, int(response.headers["Content-Length"]),
                            len(response_body)))
    finally:
        connection.close()
    assert [answer[0] for answer in answers] == [404, 308, 201]
    assert all(version == 11 and length == size for _status, version, length, size in answers)
    assert len({id(sock) for sock in sockets}) == 1  # one connection served all three


def test_bearer_token_per_node(simulated_cluster):
    cluster = simulated_cluster(node_count=2)
    cluster.nodes["node1"].token = "s3cret"
    url = cluster.url("node1")
    assert create(url, "g").status_code == 401
    wrong = create(url, "g", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    assert cluster.snapshot()["node1"] == []
    assert create(url, "g", headers={"Authorization": "Bearer s3cret"}).status_code == 201
    assert create(cluster.url("node2"), "g").status_code == 201


def test_cluster_wide_token(simulated_cluster):
    cluster = simulated_cluster(node_count=2, token="t0k")
    assert {read(url, "g").status_code for url in cluster.urls().values()} == {401}
    authorized = {"Authorization": "Bearer t0k"}
    assert {read(url, "g", headers=authorized).status_code for url in cluster.urls().values()} == {404}


@pytest.mark.parametrize("layout", ["ports", "prefix"])
def test_tls_with_the_run_ca(simulated_cluster, layout):
    cluster = simulated_cluster(node_count=2, layout=layout, tls=True)
    url = cluster.url("node2")
    assert url.startswith("https://127.0.0.1:")
    assert create(url, "g", verify=cluster.ca_path).status_code == 201
    assert read(url, "g", verify=cluster.ca_path).json() == {"groupId": "g"}
    localhost_url = url.replace("127.0.0.1", "localhost")
    assert read(localhost_url, "g", verify=cluster.ca_path).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        read(url, "g")
    with pytest.raises(requests.exceptions.ConnectionError):
        read(url.replace("https://", "http://"), "g")
    assert read(url, "g", verify=cluster.ca_path).status_code == 200  # a failed handshake harms nobody


def test_prefix_layout_serves_a_thousand_nodes(simulated_cluster):
    cluster = simulated_cluster(node_count=1000, layout="prefix")
    assert len({urllib.parse.urlsplit(url).port for url in cluster.urls().values()}) == 1
    assert cluster.url("node7").endswith("/node7")
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))
    targets = cluster.names[::4]

    def create_on(name):
        return session.post(cluster.url(name) + "/v1/group/", json={"groupId": "big"}, timeout=10).status_code

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(create_on, targets)) == {201}
    snapshot = cluster.snapshot()
    assert sorted(name for name, groups in snapshot.items() if groups) == sorted(targets)
    redirect = session.get(cluster.url("node7") + "/v1/group/big", allow_redirects=False, timeout=5)
    assert redirect.headers["Location"] == "/node7/v1/group/big/"
    assert session.get(cluster.url("node5") + "/v1/group/big", timeout=5).status_code == 200
    assert session.get(cluster.url("node1").replace("node1", "node1001") + "/v1/group/big/", timeout=5).status_code == 404
    assert cluster.requests_per_node()["node5"] == 3  # POST, then GET redirected to the canonical path
