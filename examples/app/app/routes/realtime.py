"""The user's websocket: generation events of that user only, on every instance."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.routes.deps import WebSocketAccount
from rescope.events import EventRouter, RunRegistry
from rescope.fastapi import Inject

router = APIRouter(tags=["realtime"])


@router.websocket("/ws")
async def events(
    websocket: WebSocket,
    account: WebSocketAccount,
    user_events: Inject[EventRouter],
    runs: Inject[RunRegistry],
) -> None:
    await websocket.accept()
    await user_events.connect(websocket)
    try:
        while True:
            message = await websocket.receive_json()
            if message.get("type") == "ping":
                await websocket.send_json({"type": "pong", "user_id": account.id})
            elif message.get("type") == "runs":
                await websocket.send_json(
                    {"type": "runs", "user_id": account.id, "runs": [run.run_id for run in runs]}
                )
    except WebSocketDisconnect:
        pass
    finally:
        user_events.disconnect(websocket)
