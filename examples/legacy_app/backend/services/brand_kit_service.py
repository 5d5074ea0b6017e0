"""Brand kits: colours, fonts, tone and logo of a creator's brand."""

from dataclasses import dataclass, field
from typing import Optional

from backend.database.supabase_client import get_supabase_client


class BrandKitNotFound(Exception):
    pass


@dataclass(frozen=True)
class Palette:
    primary: str
    secondary: str
    accent: str


DEFAULT_PALETTE = Palette(primary="#1F2937", secondary="#F9FAFB", accent="#8B5CF6")


@dataclass
class BrandKit:
    id: int
    user_id: int
    name: str
    palette: Palette = DEFAULT_PALETTE
    fonts: list[str] = field(default_factory=list)
    tone: str = "friendly"
    logo_key: Optional[str] = None

    @classmethod
    def from_row(cls, row: dict) -> "BrandKit":
        return cls(
            id=row["id"], user_id=row["user_id"], name=row["name"],
            palette=Palette(**row["palette"]), fonts=list(row.get("fonts", [])),
            tone=row.get("tone", "friendly"), logo_key=row.get("logo_key"),
        )


class BrandKitService:
    table = "brand_kits"

    def __init__(self):
        self.db = get_supabase_client()

    async def create(self, user_id: int, name: str, palette: Optional[dict] = None,
                     fonts: Optional[list[str]] = None, tone: str = "friendly") -> BrandKit:
        colours = palette or DEFAULT_PALETTE.__dict__
        row = {"user_id": user_id, "name": name, "palette": dict(colours), "fonts": fonts or [], "tone": tone}
        result = self.db.table(self.table).insert(row).execute()
        return BrandKit.from_row(result.data[0])

    async def get(self, user_id: int, kit_id: int) -> BrandKit:
        result = self.db.table(self.table).select("*").eq("id", kit_id).eq("user_id", user_id).execute()
        if not result.data:
            raise BrandKitNotFound(f"brand kit {kit_id} not found")
        return BrandKit.from_row(result.data[0])

    async def list_for_user(self, user_id: int) -> list[BrandKit]:
        result = self.db.table(self.table).select("*").eq("user_id", user_id).execute()
        return [BrandKit.from_row(row) for row in result.data]

    async def set_logo(self, user_id: int, kit_id: int, logo_key: str) -> BrandKit:
        await self.get(user_id, kit_id)
        self.db.table(self.table).update({"logo_key": logo_key}).eq("id", kit_id).execute()
        return await self.get(user_id, kit_id)

    async def delete(self, user_id: int, kit_id: int) -> None:
        await self.get(user_id, kit_id)
        self.db.table(self.table).delete().eq("id", kit_id).execute()


_brand_kit_service: Optional[BrandKitService] = None


def get_brand_kit_service() -> BrandKitService:
    """Get or create the brand kit service singleton."""
    global _brand_kit_service
    if _brand_kit_service is None:
        _brand_kit_service = BrandKitService()
    return _brand_kit_service
