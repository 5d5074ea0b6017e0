from fastapi import APIRouter

from backend.database.supabase_client import get_supabase_client
from backend.services.knowledge_service import KnowledgeService

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])


@router.get("/search")
async def search(q: str, limit: int = 5):
    service = KnowledgeService(get_supabase_client())
    return {"query": q, "results": service.search(q, limit)}
