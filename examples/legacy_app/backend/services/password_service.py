"""Password hashing (PBKDF2-SHA256)."""

import hashlib
import hmac
import secrets
from typing import Optional

from backend.config import get_settings


class PasswordService:
    def __init__(self):
        self.iterations = get_settings().password_iterations

    def hash_password(self, password: str) -> str:
        salt = secrets.token_hex(8)
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), self.iterations)
        return f"pbkdf2${self.iterations}${salt}${digest.hex()}"

    def verify_password(self, password: str, stored: str) -> bool:
        try:
            _, iterations, salt, expected = stored.split("$")
        except ValueError:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
        return hmac.compare_digest(digest.hex(), expected)

    def is_strong_enough(self, password: str) -> bool:
        return len(password) >= 8 and any(c.isdigit() for c in password)


_password_service: Optional[PasswordService] = None


def get_password_service() -> PasswordService:
    """Get or create the password service singleton."""
    global _password_service
    if _password_service is None:
        _password_service = PasswordService()
    return _password_service
