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


TOP_KEYS = {"emergency", "non_urgent", "group"}
GROUP_KEYS = {"title", "link"}
LINK_KEYS = {"name", "description", "url", "phone"}
PHONE_KEYS = {"label", "number"}


def load_resources(instance_path: str, filename: str) -> Resources:
    """Use instance/<filename> when an operator has put one there, else the packaged default."""
    override = Path(instance_path) / filename
    path = override if override.exists() else PACKAGED
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ResourcesFileError(f"{path}: is not UTF-8 text (save it as UTF-8)") from None
    except tomllib.TOMLDecodeError as error:
        raise ResourcesFileError(f"{path}: not valid TOML ({error})") from None
    except OSError as error:
        raise ResourcesFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    return parse_resources(raw, path)


def parse_resources(raw: dict, path: Path) -> Resources:
    """Check every part of the file and build the sidebar; the first problem found stops start-up."""

    def fail(problem: str) -> ResourcesFileError:
        return ResourcesFileError(f"{path}: {problem}")

    def table(value: object, where: str) -> dict:
        if not isinstance(value, dict):
            raise fail(f"{where} must be a table")
        return value

    def only(table_: dict, allowed: set[str], where: str) -> None:
        unknown = sorted(set(table_) - allowed)
        if unknown:
            raise fail(f"{where} has unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")

    def need(table_: dict, key: str, where: str) -> str:
        value = table_.get(key)
        if not isinstance(value, str) or not value.strip():
            raise fail(f"{where} needs a non-empty text '{key}'")
        return value.strip()

    def tables(value: object, where: str, what: str, required: bool) -> list[dict]:
        if value is None and not required:
            return []
        if not isinstance(value, list) or (required and not value):
            raise fail(f"{where} needs at least one {what}")
        return [table(item, f"{where} {what} {index}") for index, item in enumerate(value, start=1)]

    only(raw, TOP_KEYS, "the top level")
    groups = []
    for g_index, raw_group in enumerate(tables(raw.get("group"), "the file", "[[group]]", True), start=1):
        where = f"group {g_index}"
        only(raw_group, GROUP_KEYS, where)
        title = need(raw_group, "title", where)
        links = []
        raw_links = tables(raw_group.get("link"), f"{where} ('{title}')", "[[group.link]]", True)
        for l_index, raw_link in enumerate(raw_links, start=1):
            at = f"{where} ('{title}') link {l_index}"
            only(raw_link, LINK_KEYS, at)
            url = need(raw_link, "url", at)
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.netloc or any(ch.isspace() for ch in url):
                raise fail(f"{at} url must be a full https:// address (got {url!r})")
            phones = []
            for p_index, raw_phone in enumerate(tables(raw_link.get("phone"), at, "phone", False), start=1):
                only(raw_phone, PHONE_KEYS, f"{at} phone {p_index}")
                number = need(raw_phone, "number", f"{at} phone {p_index}")
                if not any(ch.isdigit() for ch in number) or any(ch not in "0123456789+ -()" for ch in number):
                    raise fail(f"{at} phone {p_index} number must be digits, spaces and + - ( ) only (got {number!r})")
                label = raw_phone.get("label", "")
                if not isinstance(label, str):
                    raise fail(f"{at} phone {p_index} label must be text")
                phones.append(Phone(label=label.strip(), number=number))
            links.append(Link(need(raw_link, "name", at), need(raw_link, "description", at), url, tuple(phones)))
        groups.append(Group(title, tuple(links)))
    return Resources(
        emergency=need(raw, "emergency", "the top level"),
        non_urgent=need(raw, "non_urgent", "the top level"),
        groups=tuple(groups),
    )
