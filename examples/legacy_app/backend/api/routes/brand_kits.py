from fastapi import APIRouter, Depends, HTTPException, Request

from backend.api.deps import CurrentUser, get_current_user
from backend.api.schemas import BrandKitCreate, BrandKitOut
from backend.services.analytics_service import get_analytics_service
from backend.services.brand_kit_service import (
    BrandKit,
    BrandKitNotFound,
    BrandKitService,
    get_brand_kit_service,
)
from backend.services.logo_service import get_logo_service

router = APIRouter(prefix="/api/v1/brand-kits", tags=["brand-kits"])


def _out(kit: BrandKit) -> BrandKitOut:
    return BrandKitOut(id=kit.id, name=kit.name, palette=kit.palette.__dict__, fonts=kit.fonts,
                       tone=kit.tone, logo_key=kit.logo_key)


@router.post("", status_code=201, response_model=BrandKitOut)
async def create_brand_kit(data: BrandKitCreate, user: CurrentUser = Depends(get_current_user)):
    service = get_brand_kit_service()
    palette = data.palette.model_dump() if data.palette else None
    kit = await service.create(user.id, data.name, palette, data.fonts, data.tone)
    await get_analytics_service().track_event(user.id, "brand_kit_created")
    return _out(kit)


@router.get("", response_model=list[BrandKitOut])
async def list_brand_kits(
    user: CurrentUser = Depends(get_current_user),
    service: BrandKitService = Depends(get_brand_kit_service),
):
    return [_out(kit) for kit in await service.list_for_user(user.id)]


@router.get("/{kit_id}", response_model=BrandKitOut)
async def get_brand_kit(kit_id: int, user: CurrentUser = Depends(get_current_user)):
    service = get_brand_kit_service()
    try:
        return _out(await service.get(user.id, kit_id))
    except BrandKitNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


@router.delete("/{kit_id}", status_code=204)
async def delete_brand_kit(kit_id: int, user: CurrentUser = Depends(get_current_user)):
    try:
        await get_brand_kit_service().delete(user.id, kit_id)
    except BrandKitNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


@router.post("/{kit_id}/logo", response_model=BrandKitOut)
async def upload_logo(kit_id: int, request: Request, filename: str,
                      user: CurrentUser = Depends(get_current_user)):
    logo_service = get_logo_service()
    service = get_brand_kit_service()
    data = await request.body()
    try:
        asset = await logo_service.upload_logo(user.id, filename, data)
        kit = await service.set_logo(user.id, kit_id, asset.key)
    except ValueError as exc:
        raise HTTPException(status_code=415, detail=str(exc)) from exc
    except BrandKitNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return _out(kit)
