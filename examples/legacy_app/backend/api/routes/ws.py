from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from backend.services.auth_service import AuthError, get_auth_service
from backend.services.realtime.connection_manager import manager
from backend.services.realtime.event_bridge import get_event_bridge

router = APIRouter(tags=["realtime"])


@router.websocket("/ws")
async def events_socket(websocket: WebSocket, token: str = ""):
    try:
        claims = get_auth_service().verify_access_token(token)
    except AuthError:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    user_id = int(claims["sub"])
    await manager.connect(user_id, websocket)
    try:
        while True:
            message = await websocket.receive_json()
            if message.get("type") == "ping":
                await websocket.send_json({"type": "pong"})
            elif message.get("type") == "runs":
                bridge = await get_event_bridge()
                runs = bridge.registry.active_runs(user_id)
                await websocket.send_json({"type": "runs", "runs": [r.run_id for r in runs]})
    except WebSocketDisconnect:
        manager.disconnect(user_id, websocket)
