"""What counts as an external client, a value type, or a service-like class."""

from __future__ import annotations

from rescope.audit._facts import ClassFacts

__all__ = [
    "CLIENT_FACTORIES",
    "SERVICE_SUFFIXES",
    "VALUE_BASES",
    "client_class_name",
    "client_label",
    "is_service_class",
    "is_value_class",
    "looks_like_service_name",
]

# Qualified names (as resolved through imports) of constructors that build a client of an
# external system. Matched on the full name or on its last two segments.
CLIENT_FACTORIES = frozenset(
    {
        "redis.Redis",
        "redis.StrictRedis",
        "redis.from_url",
        "redis.Redis.from_url",
        "redis.asyncio.Redis",
        "redis.asyncio.from_url",
        "redis.asyncio.Redis.from_url",
        "asyncio.Redis",
        "asyncio.from_url",
        "Redis.from_url",
        "redis.ConnectionPool",
        "aioredis.from_url",
        "supabase.create_client",
        "supabase.Client",
        "supabase.acreate_client",
        "httpx.Client",
        "httpx.AsyncClient",
        "requests.Session",
        "aiohttp.ClientSession",
        "anthropic.Anthropic",
        "anthropic.AsyncAnthropic",
        "openai.OpenAI",
        "openai.AsyncOpenAI",
        "boto3.client",
        "boto3.resource",
        "boto3.Session",
        "stripe.StripeClient",
        "genai.Client",
        "google.genai.Client",
        "sqlalchemy.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
        "asyncio.create_async_engine",
        "asyncpg.create_pool",
        "motor.motor_asyncio.AsyncIOMotorClient",
        "pymongo.MongoClient",
        "elasticsearch.Elasticsearch",
        "elasticsearch.AsyncElasticsearch",
        "celery.Celery",
        "pika.BlockingConnection",
        "nats.connect",
        "twilio.rest.Client",
        "sendgrid.SendGridAPIClient",
        "pusher.Pusher",
        "firebase_admin.initialize_app",
    }
)

VALUE_BASES = frozenset(
    {
        "BaseModel",
        "BaseSettings",
        "Enum",
        "IntEnum",
        "StrEnum",
        "Flag",
        "IntFlag",
        "NamedTuple",
        "TypedDict",
        "Protocol",
        "Exception",
        "BaseException",
        "ValueError",
        "TypeError",
        "RuntimeError",
        "KeyError",
        "Warning",
        "str",
        "int",
        "float",
        "dict",
        "list",
        "tuple",
        "set",
        "frozenset",
        "bytes",
        "type",
    }
)

SERVICE_SUFFIXES = (
    "Service",
    "Client",
    "Manager",
    "Repository",
    "Repo",
    "Store",
    "Engine",
    "Notifier",
    "Queue",
    "Provider",
    "Gateway",
    "Pool",
    "Processor",
    "Generator",
    "Analyzer",
    "Collector",
    "Tracker",
    "Broker",
    "Publisher",
    "Dispatcher",
    "Scheduler",
    "Executor",
    "Session",
    "Connection",
    "Registry",
    "Orchestrator",
    "Controller",
    "Handler",
    "Worker",
    "Validator",
    "Extractor",
    "Builder",
    "Limiter",
    "Breaker",
    "Monitor",
    "Logger",
    "Cache",
    "Api",
    "API",
    "Sdk",
    "SDK",
)


_FACTORY_CLASSES = {
    "create_client": "SupabaseClient",
    "acreate_client": "AsyncSupabaseClient",
    "from_url": "Redis",
    "create_engine": "Engine",
    "create_async_engine": "AsyncEngine",
    "create_pool": "Pool",
    "connect": "Connection",
    "initialize_app": "FirebaseApp",
}


def client_class_name(qualified: str) -> str:
    """The class an external client constructor builds: ``redis.from_url`` -> ``Redis``."""
    parts = qualified.split(".")
    for part in reversed(parts):
        if part[:1].isupper():
            return part
    return _FACTORY_CLASSES.get(parts[-1], parts[-1])


def client_label(qualified: str) -> str:
    """Return ``qualified`` when it builds an external client, else ``""``."""
    if qualified in CLIENT_FACTORIES:
        return qualified
    parts = qualified.split(".")
    for n in (3, 2):
        if len(parts) >= n and ".".join(parts[-n:]) in CLIENT_FACTORIES:
            return qualified
    return ""


def looks_like_service_name(name: str) -> bool:
    """Whether a class name reads like a service (``AuthService``, ``RedisClient``)."""
    return name.endswith(SERVICE_SUFFIXES)


def is_value_class(cls: ClassFacts) -> bool:
    """A class whose instances are data: models, settings, enums, exceptions, tuples."""
    for base in cls.bases:
        last = base.rpartition(".")[2]
        if last in VALUE_BASES or last.endswith(("Error", "Exception", "Settings", "Model")):
            return True
    if cls.name.endswith(("Settings", "Config", "Configuration")):
        return True
    return any(d.rpartition(".")[2] == "dataclass" for d in cls.decorators) and not any(
        not m.name.startswith("_") and m.kind == "method" for m in cls.methods
    )


def is_service_class(cls: ClassFacts) -> bool:
    """A class with behaviour: not a value class, and public methods or a service-like name."""
    if is_value_class(cls):
        return False
    if looks_like_service_name(cls.name):
        return True
    return sum(1 for m in cls.methods if not m.name.startswith("_")) >= 1
