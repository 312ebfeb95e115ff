"""Where what ships with the tool lives: in an installed wheel under safetyreport/_data, in a
source checkout at the repository's root. The built-in campaign is one of the shipped campaign
folders (campaigns/DEFAULT names which): its configuration, schemas and templates are data, read
from there like any other campaign's."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """A shipped folder (campaigns, schemas, templates, samples): the wheel's or the checkout's."""
    packaged = PACKAGE / "_data" / name
    return packaged if packaged.is_dir() else PACKAGE.parent.parent / name


@lru_cache(maxsize=1)
def builtin_campaign() -> Path:
    """The built-in campaign's folder (the default of init and demo)."""
    root = data_dir("campaigns")
    return root / (root / "DEFAULT").read_text(encoding="utf-8").strip()


def shipped_campaign(name: str) -> Path | None:
    """A shipped campaign folder by its name (`init --campaign 文旅安全专班整改`), None when none is."""
    folder = data_dir("campaigns") / name
    return folder if name and "/" not in name and (folder / "safetyreport.toml").is_file() else None


def shipped_campaigns() -> list[str]:
    return sorted(p.name for p in data_dir("campaigns").iterdir() if (p / "safetyreport.toml").is_file())


def builtin_config() -> Path:
    return builtin_campaign() / "safetyreport.toml"


def builtin_schema_dirs() -> tuple[Path, ...]:
    """The schemas every campaign knows: the built-in campaign's, and the shipped extra ones."""
    return (builtin_campaign() / "schemas", data_dir("schemas"))


def template_dirs() -> tuple[Path, ...]:
    """The built-in templates: the built-in campaign's (its 简报, 月报, 总结), then the generic ones
    (any campaign's 简报 and 总结, the board)."""
    return (builtin_campaign() / "templates", data_dir("templates"))
