import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

RUN_ID = uuid.uuid4().hex[:10]
_TEST_ROOT = Path(tempfile.gettempdir()) / f"legacy-backend-tests-{RUN_ID}"
_TEST_ROOT.mkdir(parents=True, exist_ok=True)

os.environ.setdefault("REDIS_KEY_PREFIX", f"legacy-test-{RUN_ID}:")
os.environ.setdefault("DATABASE_PATH", str(_TEST_ROOT / "app.db"))
os.environ.setdefault("STORAGE_DIR", str(_TEST_ROOT / "storage"))
os.environ.setdefault("PASSWORD_ITERATIONS", "1000")

from fastapi.testclient import TestClient  # noqa: E402

import backend.database.supabase_client as supabase_client  # noqa: E402
import backend.services.analytics_service as analytics_service  # noqa: E402
import backend.services.audit_service as audit_service  # noqa: E402
import backend.services.auth_service as auth_service  # noqa: E402
import backend.services.brand_kit_service as brand_kit_service  # noqa: E402
import backend.services.coach.analytics_service as coach_analytics  # noqa: E402
import backend.services.coach.coach_service as coach_service  # noqa: E402
import backend.services.coach.intent_extractor as intent_extractor  # noqa: E402
import backend.services.coach.llm_client as llm_client  # noqa: E402
import backend.services.coach.response_processor as response_processor  # noqa: E402
import backend.services.coach.session_manager as session_manager  # noqa: E402
import backend.services.generation_service as generation_service  # noqa: E402
import backend.services.jwt_service as jwt_service  # noqa: E402
import backend.services.logo_service as logo_service  # noqa: E402
import backend.services.media.creator_media as creator_media  # noqa: E402
import backend.services.media.media_repository as media_repository  # noqa: E402
import backend.services.password_service as password_service  # noqa: E402
import backend.services.prompt_engine as prompt_engine  # noqa: E402
import backend.services.realtime.event_bridge as event_bridge  # noqa: E402
import backend.services.storage_service as storage_service  # noqa: E402
import backend.services.token_store as token_store  # noqa: E402
import backend.services.usage_limit_service as usage_limit_service  # noqa: E402
from backend.clients.factory import ClientFactory  # noqa: E402
from backend.database.redis_client import RedisManager  # noqa: E402
from backend.main import app  # noqa: E402


def reset_service_singletons():
    """Reset all service singletons so each test starts from a clean slate."""
    auth_service._auth_service = None
    jwt_service._jwt_service = None
    password_service._password_service = None
    token_store._token_store = None
    audit_service._audit_service = None
    usage_limit_service._usage_limit_service = None
    storage_service._storage_service = None
    brand_kit_service._brand_kit_service = None
    logo_service._logo_service = None
    analytics_service._analytics_service = None
    analytics_service._initialized = False
    prompt_engine._prompt_engine = None
    generation_service._generation_service = None
    coach_service._coach_service = None
    session_manager._session_manager = None
    llm_client._llm_client = None
    response_processor._response_processor = None
    intent_extractor._intent_extractor = None
    coach_analytics._coach_analytics_service = None
    event_bridge._event_bridge = None
    creator_media._creator_media_service = None
    media_repository._media_repository = None
    supabase_client._supabase_client = None
    RedisManager._instance = None
    ClientFactory._llm_client = None
    ClientFactory._image_client = None
    ClientFactory._storage_client = None


@pytest.fixture(autouse=True)
def clean_singletons():
    reset_service_singletons()
    yield
    reset_service_singletons()


@pytest.fixture(scope="session", autouse=True)
def cleanup_redis_and_files():
    yield
    prefix = os.environ["REDIS_KEY_PREFIX"]
    client = RedisManager().client
    keys = list(client.scan_iter(match=prefix + "*", count=500))
    if keys:
        client.delete(*keys)
    RedisManager._instance = None
    shutil.rmtree(_TEST_ROOT, ignore_errors=True)


@pytest.fixture
def client():
    with TestClient(app) as test_client:
        yield test_client


def register_and_login(client, email=None, password="hunter22secret"):
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
    response = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    return {
        "id": body["user"]["id"],
        "email": email,
        "headers": {"Authorization": f"Bearer {body['tokens']['access_token']}"},
        "tokens": body["tokens"],
    }


@pytest.fixture
def user(client):
    return register_and_login(client)


@pytest.fixture
def auth_headers(user):
    return user["headers"]


@pytest.fixture
def other_user(client):
    return register_and_login(client)


@pytest.fixture
def brand_kit(client, auth_headers):
    response = client.post(
        "/api/v1/brand-kits",
        json={"name": "Neon Nights", "palette": {"primary": "#FF00AA", "secondary": "#111111", "accent": "#00FFEE"},
              "tone": "energetic"},
        headers=auth_headers,
    )
    assert response.status_code == 201, response.text
    return response.json()
