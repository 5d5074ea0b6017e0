"""Stand-in for the image generation API: accepts jobs, the provider calls our webhook later."""

import uuid


class FakeImageGenClient:
    def __init__(self, api_key: str):
        self.api_key = api_key
        self.submitted: dict[str, dict] = {}

    async def submit(self, prompt: str, width: int = 512, height: int = 512) -> str:
        job_id = uuid.uuid4().hex
        self.submitted[job_id] = {"prompt": prompt, "width": width, "height": height}
        return job_id
