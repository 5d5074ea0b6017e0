"""SQLAlchemy engine and session factory (SQLite file from DATABASE_PATH)."""

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from backend.config import get_settings

engine = create_engine(
    f"sqlite:///{get_settings().database_path}",
    connect_args={"check_same_thread": False},
)
SessionLocal = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def init_db() -> None:
    from backend.database.models import Base

    Base.metadata.create_all(bind=engine)
