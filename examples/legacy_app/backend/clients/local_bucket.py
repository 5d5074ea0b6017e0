"""Object storage backed by a local directory (STORAGE_DIR); same calls as the S3 wrapper."""

from pathlib import Path


class LocalBucket:
    def __init__(self, root: str, bucket: str = "assets"):
        self.root = Path(root) / bucket
        self.root.mkdir(parents=True, exist_ok=True)
        self.bucket = bucket

    def put_object(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return f"/files/{self.bucket}/{key}"

    def get_object(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def delete_object(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return (self.root / key).exists()
