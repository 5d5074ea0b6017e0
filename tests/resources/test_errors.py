"""Resource and application errors carry their context and render safely."""

from __future__ import annotations

import json

from rescope.exceptions import ProcessTimeoutError, ServiceError, SettingsError


class BrandKitNotFoundError(ServiceError):
    code = "brand_kit_not_found"
    status = 404
    title = "Brand kit not found"
    type_uri = "https://errors.example.com/brand-kit-not-found"


def test_problem_document_follows_rfc_9457() -> None:
    """to_problem() has type, title, status, detail, code and instance, and is JSON."""
    err = BrandKitNotFoundError("No brand kit 42 in this workspace.")
    problem = err.to_problem(instance="/brand-kits/42")
    assert problem == {
        "type": "https://errors.example.com/brand-kit-not-found",
        "title": "Brand kit not found",
        "status": 404,
        "detail": "No brand kit 42 in this workspace.",
        "code": "brand_kit_not_found",
        "instance": "/brand-kits/42",
    }
    assert json.loads(json.dumps(problem)) == problem


def test_internal_context_stays_out_of_the_problem() -> None:
    """`internal` shows in str() for logs but never in the client's document."""
    err = ServiceError("Upload failed.", status=502, internal="s3 said 503 for key user/7/a.png")
    assert "s3 said 503" in str(err)
    assert "s3 said" not in json.dumps(err.to_problem())
    assert err.to_problem()["title"] == "Service error"
    assert "instance" not in err.to_problem()


def test_extensions_are_public_members_that_cannot_replace_standard_ones() -> None:
    """Extensions add members; they cannot overwrite status or detail."""
    err = ServiceError("Slow down.", status=429, extensions={"retry_after": 5, "status": 200})
    problem = err.to_problem()
    assert problem["retry_after"] == 5
    assert problem["status"] == 429


def test_default_detail_is_the_title() -> None:
    """Without a detail the title is shown."""
    assert BrandKitNotFoundError().detail == "Brand kit not found"


def test_process_timeout_names_the_timeout_and_the_fix() -> None:
    """ProcessTimeoutError says how long it waited and what to try."""
    err = ProcessTimeoutError(["ffmpeg", "-i", "a.wav"], returncode=-9, timeout=30)
    assert err.timeout == 30
    assert "timed out after 30s" in str(err)
    assert "\nTry a longer `timeout`" in str(err)


def test_settings_error_keeps_the_variables() -> None:
    """SettingsError lists the failing variables; the first is the setting."""
    err = SettingsError("bad", variables=["A_X", "A_Y"])
    assert (err.variables, err.setting) == (("A_X", "A_Y"), "A_X")
