import io
from unittest import mock

from PIL import Image

from backend.services.brand_kit_service import BrandKitNotFound


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "#FF00AA").save(buffer, format="PNG")
    return buffer.getvalue()


def test_create_brand_kit(brand_kit):
    assert brand_kit["name"] == "Neon Nights"
    assert brand_kit["palette"]["primary"] == "#FF00AA"


def test_create_brand_kit_uses_default_palette(client, auth_headers):
    response = client.post("/api/v1/brand-kits", json={"name": "Plain"}, headers=auth_headers)
    assert response.status_code == 201
    assert response.json()["palette"]["accent"] == "#8B5CF6"


def test_invalid_colour_rejected(client, auth_headers):
    body = {"name": "Bad", "palette": {"primary": "red", "secondary": "#000000", "accent": "#FFFFFF"}}
    assert client.post("/api/v1/brand-kits", json=body, headers=auth_headers).status_code == 422


def test_list_only_shows_own_kits(client, brand_kit, other_user):
    response = client.get("/api/v1/brand-kits", headers=other_user["headers"])
    assert response.status_code == 200
    assert response.json() == []


def test_other_user_cannot_read_kit(client, brand_kit, other_user):
    response = client.get(f"/api/v1/brand-kits/{brand_kit['id']}", headers=other_user["headers"])
    assert response.status_code == 404


def test_delete_brand_kit(client, brand_kit, auth_headers):
    assert client.delete(f"/api/v1/brand-kits/{brand_kit['id']}", headers=auth_headers).status_code == 204
    assert client.get(f"/api/v1/brand-kits/{brand_kit['id']}", headers=auth_headers).status_code == 404


def test_upload_logo_sets_logo_key(client, brand_kit, auth_headers):
    response = client.post(
        f"/api/v1/brand-kits/{brand_kit['id']}/logo", params={"filename": "logo.png"},
        content=_png(), headers=auth_headers,
    )
    assert response.status_code == 200
    assert response.json()["logo_key"].endswith("logo-logo.png")


def test_upload_logo_rejects_text_file(client, brand_kit, auth_headers):
    response = client.post(
        f"/api/v1/brand-kits/{brand_kit['id']}/logo", params={"filename": "notes.txt"},
        content=b"hello", headers=auth_headers,
    )
    assert response.status_code == 415


def test_get_brand_kit_maps_not_found_to_404(client, auth_headers):
    stub = mock.AsyncMock()
    stub.get.side_effect = BrandKitNotFound("brand kit 99 not found")
    with mock.patch("backend.api.routes.brand_kits.get_brand_kit_service", return_value=stub):
        response = client.get("/api/v1/brand-kits/99", headers=auth_headers)
    assert response.status_code == 404
    stub.get.assert_awaited_once()
