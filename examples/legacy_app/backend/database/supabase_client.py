"""Supabase client (tables). SUPABASE_URL=memory://... keeps everything in process."""

import logging
from typing import Optional

from backend.clients.memory_postgrest import InMemoryPostgrest, TableQuery
from backend.config import get_settings

logger = logging.getLogger(__name__)


class SupabaseClient:
    def __init__(self, url: str, key: str):
        if not url.startswith("memory://"):
            raise RuntimeError(
                f"SUPABASE_URL={url!r}: the supabase SDK is not bundled with this build, "
                "use memory:// for local development"
            )
        self.url = url
        self._key = key
        self._backend = InMemoryPostgrest()

    def table(self, name: str) -> TableQuery:
        return self._backend.table(name)


_supabase_client: Optional[SupabaseClient] = None


def get_supabase_client() -> SupabaseClient:
    global _supabase_client
    if _supabase_client is None:
        settings = get_settings()
        _supabase_client = SupabaseClient(settings.supabase_url, settings.supabase_key)
        logger.info("supabase client ready (%s)", settings.supabase_url)
    return _supabase_client
