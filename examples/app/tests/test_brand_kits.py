def test_create_list_get_delete(client, user, brand_kit):
    """A kit can be listed, read and deleted by its owner."""
    listed = client.get("/api/v1/brand-kits", headers=user["headers"]).json()
    assert [kit["name"] for kit in listed] == ["Neon Nights"]
    one = client.get(f"/api/v1/brand-kits/{brand_kit['id']}", headers=user["headers"]).json()
    assert one["palette"]["primary"] == "#FF00AA"
    assert (
        client.delete(f"/api/v1/brand-kits/{brand_kit['id']}", headers=user["headers"]).status_code
        == 204
    )
    assert (
        client.get(f"/api/v1/brand-kits/{brand_kit['id']}", headers=user["headers"]).status_code
        == 404
    )


def test_default_palette(client, user):
    """A kit created without a palette gets the default colours."""
    kit = client.post("/api/v1/brand-kits", json={"name": "Plain"}, headers=user["headers"]).json()
    assert kit["palette"] == {"primary": "#1F2937", "secondary": "#F9FAFB", "accent": "#8B5CF6"}


def test_another_users_kit_is_not_found(client, brand_kit, other_user):
    """One user never reads another user's kit: 404, not 403."""
    response = client.get(f"/api/v1/brand-kits/{brand_kit['id']}", headers=other_user["headers"])
    assert response.status_code == 404
    assert response.json()["code"] == "brand_kit_not_found"
    assert client.get("/api/v1/brand-kits", headers=other_user["headers"]).json() == []


def test_invalid_palette_is_422(client, user):
    """Colours that are not #RRGGBB are rejected by validation."""
    body = {
        "name": "Bad",
        "palette": {"primary": "red", "secondary": "#111111", "accent": "#222222"},
    }
    assert client.post("/api/v1/brand-kits", json=body, headers=user["headers"]).status_code == 422
