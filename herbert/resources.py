"""The safety-resource links sidebar, read from a TOML data file an operator can override from instance/.

A bad file stops start-up with a message naming the problem, rather than showing a broken sidebar.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PACKAGED = Path(__file__).parent / "data" / "resources.toml"


class ResourcesFileError(Exception):
    """The resources file is malformed; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Phone:
    label: str
    number: str

    @property
    def tel(self) -> str:
        return "tel:" + "".join(ch for ch in self.number if ch.isdigit() or ch == "+")


@dataclass(frozen=True)
class Link:
    name: str
    description: str
    url: str
    phones: tuple[Phone, ...] = ()


@dataclass(frozen=True)
class Group:
    title: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Resources:
    emergency: str
    non_urgent: str
    groups: tuple[Group, ...]


def load_resources(instance_path: str, filename: str) -> Resources:
    """Use instance/<filename> when an operator has put one there, else the packaged default."""
    override = Path(instance_path) / filename
    path = override if override.exists() else PACKAGED
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ResourcesFileError(f"{path}: not valid TOML ({error})") from None
    return parse_resources(raw, path)


def parse_resources(raw: dict, path: Path) -> Resources:
    def need(table: dict, key: str, where: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ResourcesFileError(f"{path}: {where} needs a non-empty text '{key}'")
        return value.strip()

    groups = []
    raw_groups = raw.get("group")
    if not isinstance(raw_groups, list) or not raw_groups:
        raise ResourcesFileError(f"{path}: needs at least one [[group]]")
    for g_index, raw_group in enumerate(raw_groups, start=1):
        where = f"group {g_index}"
        title = need(raw_group, "title", where)
        links = []
        raw_links = raw_group.get("link")
        if not isinstance(raw_links, list) or not raw_links:
            raise ResourcesFileError(f"{path}: {where} ('{title}') needs at least one [[group.link]]")
        for l_index, raw_link in enumerate(raw_links, start=1):
            at = f"{where} link {l_index}"
            url = need(raw_link, "url", at)
            if urlsplit(url).scheme != "https":
                raise ResourcesFileError(f"{path}: {at} url must start with https:// (got {url!r})")
            phones = []
            for p_index, raw_phone in enumerate(raw_link.get("phone", []), start=1):
                number = need(raw_phone, "number", f"{at} phone {p_index}")
                if not any(ch.isdigit() for ch in number):
                    raise ResourcesFileError(f"{path}: {at} phone {p_index} has no digits")
                phones.append(Phone(label=raw_phone.get("label", "").strip(), number=number))
            links.append(Link(need(raw_link, "name", at), need(raw_link, "description", at), url, tuple(phones)))
        groups.append(Group(title, tuple(links)))
    return Resources(
        emergency=need(raw, "emergency", "the top level"),
        non_urgent=need(raw, "non_urgent", "the top level"),
        groups=tuple(groups),
    )
