import uuid

import pytest

from backend.services.auth_service import get_auth_service
from backend.services.jwt_service import JWTService, TokenError
from backend.services.password_service import PasswordService
from tests.conftest import register_and_login


def test_register_returns_user(client):
    email = f"new-{uuid.uuid4().hex[:6]}@example.com"
    response = client.post("/api/v1/auth/register", json={"email": email, "password": "s3cretpass", "display_name": "Nova"})
    assert response.status_code == 201
    assert response.json()["email"] == email
    assert response.json()["display_name"] == "Nova"


def test_register_duplicate_email_conflicts(client, user):
    response = client.post("/api/v1/auth/register", json={"email": user["email"], "password": "s3cretpass"})
    assert response.status_code == 409


def test_register_rejects_weak_password(client):
    response = client.post("/api/v1/auth/register", json={"email": "weak@example.com", "password": "short"})
    assert response.status_code == 422


def test_login_wrong_password(client, user):
    response = client.post("/api/v1/auth/login", json={"email": user["email"], "password": "wrong-password1"})
    assert response.status_code == 401


def test_me_requires_token(client):
    assert client.get("/api/v1/auth/me").status_code == 401


def test_me_returns_current_user(client, user):
    response = client.get("/api/v1/auth/me", headers=user["headers"])
    assert response.status_code == 200
    assert response.json()["id"] == user["id"]


def test_refresh_rotates_refresh_token(client, user):
    refresh_token = user["tokens"]["refresh_token"]
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert first.status_code == 200
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert again.status_code == 401


def test_logout_revokes_access_token(client, user):
    assert client.post("/api/v1/auth/logout", headers=user["headers"]).status_code == 204
    assert client.get("/api/v1/auth/me", headers=user["headers"]).status_code == 401


def test_audit_log_records_login(client, user):
    response = client.get("/api/v1/auth/audit-log", headers=user["headers"])
    actions = [entry["action"] for entry in response.json()["entries"]]
    assert actions[:2] == ["login", "register"]


def test_password_service_roundtrip():
    service = PasswordService()
    stored = service.hash_password("correct horse 1")
    assert service.verify_password("correct horse 1", stored)
    assert not service.verify_password("wrong horse 1", stored)


def test_jwt_rejects_refresh_token_as_access():
    service = JWTService()
    token = service.create_refresh_token(7)
    with pytest.raises(TokenError):
        service.decode_token(token, expected_type="access")


def test_auth_service_is_a_singleton():
    assert get_auth_service() is get_auth_service()
    assert get_auth_service().jwt is get_auth_service().jwt


def test_two_users_get_different_ids(client):
    first = register_and_login(client)
    second = register_and_login(client)
    assert first["id"] != second["id"]
