"""Request and response bodies."""

from typing import Optional

from pydantic import BaseModel, Field


class RegisterRequest(BaseModel):
    email: str
    password: str
    display_name: str = ""


class LoginRequest(BaseModel):
    email: str
    password: str


class RefreshRequest(BaseModel):
    refresh_token: str


class UserResponse(BaseModel):
    id: int
    email: str
    display_name: str = ""


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"


class LoginResponse(BaseModel):
    user: UserResponse
    tokens: TokenResponse


class PaletteBody(BaseModel):
    primary: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    secondary: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    accent: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")


class BrandKitCreate(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    palette: Optional[PaletteBody] = None
    fonts: list[str] = []
    tone: str = "friendly"


class BrandKitOut(BaseModel):
    id: int
    name: str
    palette: dict
    fonts: list[str]
    tone: str
    logo_key: Optional[str] = None


class GenerationCreate(BaseModel):
    brand_kit_id: int
    kind: str = "thumbnail"
    subject: str


class ImageWebhookPayload(BaseModel):
    job_id: str
    status: str
    image_b64: str = ""


class CoachStart(BaseModel):
    topic: str = "thumbnail"


class CoachMessage(BaseModel):
    message: str = Field(min_length=1, max_length=2000)


class AnalyticsEventBody(BaseModel):
    event: str
