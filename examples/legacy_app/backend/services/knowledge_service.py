"""Help-centre search over built-in articles and the knowledge table."""

from backend.database.supabase_client import SupabaseClient
from backend.utils.text import words

BUILTIN_ARTICLES = (
    {"slug": "brand-colours", "title": "Choosing brand colours", "body": "Pick one primary and one accent colour."},
    {"slug": "thumbnail-text", "title": "Thumbnail text", "body": "Three words at most, large and bold."},
    {"slug": "emote-size", "title": "Emote sizes", "body": "Twitch emotes are shown at 28, 56 and 112 pixels."},
)


class KnowledgeService:
    table = "knowledge_articles"

    def __init__(self, db: SupabaseClient):
        self.db = db

    def search(self, query: str, limit: int = 5) -> list[dict]:
        terms = set(words(query))
        articles = list(BUILTIN_ARTICLES) + self.db.table(self.table).select("*").execute().data
        scored = []
        for article in articles:
            score = len(terms.intersection(words(article["title"] + " " + article["body"])))
            if score:
                scored.append((score, article["slug"], article))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [{"slug": a["slug"], "title": a["title"]} for _, _, a in scored[:limit]]
