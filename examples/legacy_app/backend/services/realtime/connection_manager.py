"""Open websocket connections, by user."""

import logging

from fastapi import WebSocket

logger = logging.getLogger(__name__)


class ConnectionManager:
    def __init__(self):
        self.active_connections: dict[int, list[WebSocket]] = {}

    async def connect(self, user_id: int, websocket: WebSocket) -> None:
        await websocket.accept()
        self.active_connections.setdefault(user_id, []).append(websocket)
        logger.info("user %s connected (%d sockets)", user_id, len(self.active_connections[user_id]))

    def disconnect(self, user_id: int, websocket: WebSocket) -> None:
        sockets = self.active_connections.get(user_id, [])
        if websocket in sockets:
            sockets.remove(websocket)
        if not sockets:
            self.active_connections.pop(user_id, None)

    async def send_to_user(self, user_id: int, message: dict) -> int:
        sent = 0
        for websocket in list(self.active_connections.get(user_id, [])):
            await websocket.send_json(message)
            sent += 1
        return sent

    async def broadcast(self, message: dict) -> int:
        sent = 0
        for user_id in list(self.active_connections):
            sent += await self.send_to_user(user_id, message)
        return sent

    def connected_users(self) -> list[int]:
        return sorted(self.active_connections)


manager = ConnectionManager()
