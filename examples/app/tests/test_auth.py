from tests.conftest import PASSWORD, sign_up


def test_register_login_and_me(client):
    """A registered user logs in and the access token identifies them."""
    user = sign_up(client)
    me = client.get("/api/v1/auth/me", headers=user["headers"])
    assert me.json() == {"id": user["id"], "email": user["email"]}


def test_duplicate_email_is_a_409_problem(client, user):
    """Registering an email twice is answered 409 as problem+json."""
    response = client.post(
        "/api/v1/auth/register", json={"email": user["email"], "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "email_taken"


def test_weak_password_is_rejected(client):
    """A password without a digit is refused with 422."""
    response = client.post(
        "/api/v1/auth/register", json={"email": "weak@example.com", "password": "password"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "weak_password"


def test_wrong_password_and_missing_token_are_401(client, user):
    """Bad credentials and requests without a token are answered 401."""
    response = client.post(
        "/api/v1/auth/login", json={"email": user["email"], "password": "wrong-pass1"}
    )
    assert response.status_code == 401
    assert client.get("/api/v1/auth/me").status_code == 401


def test_refresh_token_works_once(client, user):
    """A refresh token yields new tokens once and is refused the second time."""
    body = {"refresh_token": user["tokens"]["refresh_token"]}
    first = client.post("/api/v1/auth/refresh", json=body)
    assert first.status_code == 200
    assert (
        client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {first.json()['access_token']}"}
        ).status_code
        == 200
    )
    assert client.post("/api/v1/auth/refresh", json=body).status_code == 401


def test_logout_revokes_the_access_token(client, user):
    """After logout the same access token is refused."""
    assert client.post("/api/v1/auth/logout", headers=user["headers"]).status_code == 204
    assert client.get("/api/v1/auth/me", headers=user["headers"]).status_code == 401


def test_audit_log_records_actions_with_the_request_id(client, user):
    """Audit entries are written in the request's session and carry its X-Request-ID."""
    client.post(
        "/api/v1/auth/login",
        json={"email": user["email"], "password": PASSWORD},
        headers={"X-Request-ID": "req-42"},
    )
    entries = client.get("/api/v1/auth/audit-log", headers=user["headers"]).json()["entries"]
    assert [e["action"] for e in entries] == ["login", "login", "register"]
    assert entries[0]["request_id"] == "req-42"
