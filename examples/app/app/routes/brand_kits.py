"""Brand kits of the current user."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app.analytics import Analytics
from app.brand_kits import BrandKits
from app.models import BrandKit
from app.routes.deps import CurrentAccount
from rescope.fastapi import Inject

router = APIRouter(prefix="/api/v1/brand-kits", tags=["brand-kits"])
HEX = r"^#[0-9A-Fa-f]{6}$"


class PaletteBody(BaseModel):
    primary: str = Field(pattern=HEX)
    secondary: str = Field(pattern=HEX)
    accent: str = Field(pattern=HEX)


class BrandKitBody(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    palette: PaletteBody | None = None
    fonts: list[str] = []
    tone: str = "friendly"


def _out(kit: BrandKit) -> dict[str, object]:
    return {
        "id": kit.id,
        "name": kit.name,
        "palette": kit.palette,
        "fonts": kit.fonts,
        "tone": kit.tone,
    }


@router.post("", status_code=201)
async def create_brand_kit(
    body: BrandKitBody,
    account: CurrentAccount,
    kits: Inject[BrandKits],
    analytics: Inject[Analytics],
) -> dict[str, object]:
    palette = body.palette.model_dump() if body.palette else None
    kit = await kits.create(account.id, body.name, palette, body.fonts, body.tone)
    await analytics.track(account.id, "brand_kit_created")
    return _out(kit)


@router.get("")
async def list_brand_kits(
    account: CurrentAccount, kits: Inject[BrandKits]
) -> list[dict[str, object]]:
    return [_out(kit) for kit in await kits.list_for(account.id)]


@router.get("/{kit_id}")
async def get_brand_kit(
    kit_id: int, account: CurrentAccount, kits: Inject[BrandKits]
) -> dict[str, object]:
    return _out(await kits.get(account.id, kit_id))


@router.delete("/{kit_id}", status_code=204)
async def delete_brand_kit(
    kit_id: int, account: CurrentAccount, kits: Inject[BrandKits]
) -> Response:
    await kits.delete(account.id, kit_id)
    return Response(status_code=204)
