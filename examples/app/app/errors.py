"""The app's errors: each is answered as application/problem+json with its status."""

from __future__ import annotations

from rescope.exceptions import ServiceError


class AuthError(ServiceError):
    """The credentials or the token were not accepted."""

    code = "unauthorized"
    status = 401
    title = "Not authenticated"


class EmailTakenError(ServiceError):
    """Registration with an email that already has an account."""

    code = "email_taken"
    status = 409
    title = "Email already registered"


class WeakPasswordError(ServiceError):
    """Registration with a password that is too weak."""

    code = "weak_password"
    status = 422
    title = "Password too weak"


class BrandKitNotFoundError(ServiceError):
    """The brand kit does not exist or belongs to someone else."""

    code = "brand_kit_not_found"
    status = 404
    title = "Brand kit not found"


class PromptRejectedError(ServiceError):
    """The generation prompt has blocked words or an unknown kind."""

    code = "prompt_rejected"
    status = 422
    title = "Prompt rejected"


class GenerationNotFoundError(ServiceError):
    """The generation job does not exist or belongs to someone else."""

    code = "generation_not_found"
    status = 404
    title = "Generation not found"


class GenerationTimeoutError(ServiceError):
    """The provider did not report the job's outcome within the wait."""

    code = "generation_timeout"
    status = 504
    title = "Generation still running"


class CoachSessionNotFoundError(ServiceError):
    """The coach conversation does not exist or belongs to someone else."""

    code = "coach_session_not_found"
    status = 404
    title = "Coach session not found"


class MessageRejectedError(ServiceError):
    """A coach message or analytics event that the app does not accept."""

    code = "message_rejected"
    status = 422
    title = "Message rejected"


class UnsupportedMediaError(ServiceError):
    """An upload that is not an image or audio file the pipelines can read."""

    code = "unsupported_media"
    status = 415
    title = "Unsupported media"


class ImageProviderError(ServiceError):
    """The image provider refused or failed the job."""

    code = "image_provider_error"
    status = 502
    title = "Image provider failed"
