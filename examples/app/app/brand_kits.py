"""Brand kits: colours, fonts and tone of a creator's brand, in the request's session."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import BrandKitNotFoundError
from app.models import BrandKit

DEFAULT_PALETTE = {"primary": "#1F2937", "secondary": "#F9FAFB", "accent": "#8B5CF6"}


class BrandKits:
    """One user's brand kits; another user's kit is never found."""

    def __init__(self, db: AsyncSession) -> None:
        self._db = db

    async def create(
        self,
        user_id: int,
        name: str,
        palette: dict[str, str] | None = None,
        fonts: list[str] | None = None,
        tone: str = "friendly",
    ) -> BrandKit:
        """Create a kit (the default palette when none is given)."""
        kit = BrandKit(
            user_id=user_id,
            name=name,
            palette=dict(palette or DEFAULT_PALETTE),
            fonts=list(fonts or []),
            tone=tone,
        )
        self._db.add(kit)
        await self._db.commit()
        return kit

    async def get(self, user_id: int, kit_id: int) -> BrandKit:
        """The user's kit ``kit_id``.

        Raises:
            BrandKitNotFoundError: No such kit for this user.
        """
        kit = await self._db.get(BrandKit, kit_id)
        if kit is None or kit.user_id != user_id:
            raise BrandKitNotFoundError(f"No brand kit {kit_id} here.")
        return kit

    async def list_for(self, user_id: int) -> list[BrandKit]:
        """The user's kits, oldest first."""
        rows = await self._db.scalars(
            select(BrandKit).where(BrandKit.user_id == user_id).order_by(BrandKit.id)
        )
        return list(rows)

    async def delete(self, user_id: int, kit_id: int) -> None:
        """Delete the user's kit ``kit_id``.

        Raises:
            BrandKitNotFoundError: No such kit for this user.
        """
        await self._db.delete(await self.get(user_id, kit_id))
        await self._db.commit()
