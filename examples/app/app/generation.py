"""Image generation: a prompt from the brand kit, a job at the provider, the webhook's result.

The request that waits for a job awaits the completion notifier; the webhook notifies it
(in this process or, over Redis, in any other) and pushes an event to the owner's
websockets. Nothing polls.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.brand_kits import BrandKits
from app.errors import (
    GenerationNotFoundError,
    GenerationTimeoutError,
    ImageProviderError,
    PromptRejectedError,
)
from app.models import Generation
from app.storage import Storage
from rescope.events import CompletionNotifier, UserEventBus
from rescope.exceptions import CompletionTimeoutError
from rescope.resilience import BreakerRegistry, CircuitBreaker

TEMPLATES = {
    "thumbnail": (
        "YouTube thumbnail, {subject}, bold text, colours {primary} and {accent}, {tone} style"
    ),
    "emote": "Twitch emote, {subject}, flat vector, outline, colours {primary} and {accent}",
    "banner": "Channel banner 16:9, {subject}, {tone} mood, palette {primary}/{secondary}/{accent}",
}
BLOCKED = re.compile(r"\b(hate|kill|slur)\b", re.IGNORECASE)
WORD = re.compile(r"[a-z0-9']+")
SUCCESS_STATES = ("succeeded", "completed")


class PromptEngine:
    """Turns a brand kit and a subject into the prompt sent to the image model."""

    def build(self, kind: str, subject: str, palette: dict[str, str], tone: str) -> str:
        """The provider prompt.

        Raises:
            PromptRejectedError: Blocked words, or an unknown kind.
        """
        if BLOCKED.search(subject):
            raise PromptRejectedError("The prompt contains blocked words.")
        template = TEMPLATES.get(kind)
        if template is None:
            raise PromptRejectedError(f"Unknown asset kind {kind!r}; use one of {self.kinds()}.")
        return template.format(
            subject=" ".join(WORD.findall(subject.lower())), tone=tone, **palette
        )

    @staticmethod
    def kinds() -> list[str]:
        """The asset kinds there is a template for."""
        return sorted(TEMPLATES)


class ImageClient:
    """The image provider's API (in-process stand-in): accepts jobs, calls our webhook later."""

    def __init__(self) -> None:
        self.submitted: dict[str, str] = {}

    async def submit(self, prompt: str) -> str:
        """Start a job; return its id."""
        job_id = uuid.uuid4().hex
        self.submitted[job_id] = prompt
        return job_id


ImageApiBreaker = Annotated[CircuitBreaker, "image-api"]


def provide_image_breaker(breakers: BreakerRegistry) -> ImageApiBreaker:
    """The image provider's breaker: open after three failures in a row, for 30 s."""
    return breakers.breaker("image-api", failure_threshold=3, recovery_timeout=30.0)


class ImageGateway:
    """Calls the image provider through the ``image-api`` circuit breaker.

    While the circuit is open, requests are answered 503 at once (problem+json with
    Retry-After) instead of waiting on a provider that is down.
    """

    def __init__(self, client: ImageClient, breaker: ImageApiBreaker) -> None:
        self._client = client
        self.breaker = breaker

    async def submit(self, prompt: str) -> str:
        """Start a job at the provider.

        Raises:
            ImageProviderError: The provider failed this call (counted by the breaker).
            CircuitOpenError: The provider failed repeatedly; try again later.
        """
        try:
            return await self.breaker.call_async(self._client.submit, prompt)
        except (ConnectionError, TimeoutError) as exc:
            raise ImageProviderError("The image provider did not accept the job.") from exc


@dataclass(frozen=True)
class Outcome:
    """What the webhook reported for a job, as the waiting request receives it."""

    job_id: str
    owner: int
    status: str
    asset_url: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON the API returns and the notifier carries."""
        return {"job_id": self.job_id, "status": self.status, "asset_url": self.asset_url}


class GenerationService:
    """Starts jobs, records them, stores results and wakes whoever waits for them."""

    def __init__(  # noqa: PLR0913, PLR0917 - the service's collaborators, injected
        self,
        db: AsyncSession,
        brand_kits: BrandKits,
        prompts: PromptEngine,
        images: ImageGateway,
        storage: Storage,
        notifier: CompletionNotifier,
    ) -> None:
        self._db = db
        self._brand_kits = brand_kits
        self._prompts = prompts
        self._images = images
        self._storage = storage
        self._notifier = notifier

    async def start(self, user_id: int, brand_kit_id: int, kind: str, subject: str) -> Generation:
        """Build the prompt from the user's kit, submit it and record the job.

        Raises:
            BrandKitNotFoundError: The kit is not the user's.
            PromptRejectedError: The subject or kind is not accepted.
            CircuitOpenError: The image provider is failing.
        """
        kit = await self._brand_kits.get(user_id, brand_kit_id)
        prompt = self._prompts.build(kind, subject, kit.palette, kit.tone)
        job_id = await self._images.submit(prompt)
        job = Generation(job_id=job_id, user_id=user_id, kind=kind, prompt=prompt)
        self._db.add(job)
        await self._db.commit()
        return job

    async def get(self, user_id: int, job_id: str) -> Generation:
        """The user's job ``job_id``.

        Raises:
            GenerationNotFoundError: No such job for this user.
        """
        job = await self._db.scalar(select(Generation).where(Generation.job_id == job_id))
        if job is None or job.user_id != user_id:
            raise GenerationNotFoundError(f"No generation {job_id} here.")
        return job

    async def wait(self, user_id: int, job_id: str, seconds: float) -> dict[str, Any]:
        """The job's outcome, as soon as the webhook reports it.

        Raises:
            GenerationNotFoundError: No such job for this user.
            GenerationTimeoutError: No outcome within ``seconds``.
        """
        job = await self.get(user_id, job_id)
        if job.status != "queued":
            return {"job_id": job_id, "status": job.status, "asset_url": job.asset_url}
        await self._db.rollback()  # give the connection back to the pool while waiting
        try:
            result: dict[str, Any] = await self._notifier.wait(job_id, timeout=seconds)
        except CompletionTimeoutError as exc:
            raise GenerationTimeoutError(
                f"Generation {job_id} has not finished after {seconds:g}s; wait again."
            ) from exc
        return result

    async def complete(self, job_id: str, status: str, image_b64: str = "") -> Outcome:
        """Record the provider's outcome, store the image and wake the waiters.

        Raises:
            GenerationNotFoundError: The job is unknown.
            UnsupportedMediaError: The image is not base64.
        """
        job = await self._db.scalar(select(Generation).where(Generation.job_id == job_id))
        if job is None:
            raise GenerationNotFoundError(f"No generation {job_id}.")
        succeeded = status in SUCCESS_STATES
        asset_url = ""
        if succeeded:
            try:
                data = base64.b64decode(image_b64, validate=True)
            except binascii.Error as exc:
                raise PromptRejectedError("The webhook's image is not base64.") from exc
            asset = await self._storage.upload(job.user_id, f"generation-{job_id}.png", data)
            asset_url = asset.url
        job.status = "completed" if succeeded else "failed"
        job.asset_url = asset_url
        outcome = Outcome(job_id, job.user_id, job.status, asset_url)
        await self._db.commit()
        await self._notifier.notify(job_id, outcome.as_dict())
        return outcome


async def announce(bus: UserEventBus, outcome: Outcome) -> None:
    """Push the outcome to every websocket of the job's owner, on every instance."""
    await bus.send_to_user(
        str(outcome.owner), {"type": f"generation.{outcome.status}", **outcome.as_dict()}
    )
