"""A coarse description of the browser that opened a share ("Chrome on Android"), never the full user agent.

The carer sees this next to each open; it says enough to recognise "that was the police officer's phone"
without keeping a fingerprint (no versions, no device models, no IP address).
"""

# Order matters: many browsers also claim to be Chrome or Safari, so the specific ones are checked first.
BROWSERS = [
    ("Edg", "Edge"),
    ("SamsungBrowser", "Samsung Internet"),
    ("OPR", "Opera"),
    ("Opera", "Opera"),
    ("Firefox", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
    ("Chromium", "Chrome"),
    ("Safari", "Safari"),
]
SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "Mac"),
    ("Macintosh", "Mac"),
    ("Linux", "Linux"),
]


def describe_client(user_agent: str | None) -> str:
    """E.g. "Chrome on Android", "Safari on iPhone", or "Unknown browser"."""
    agent = (user_agent or "")[:512]
    browser = next((name for marker, name in BROWSERS if marker in agent), None)
    system = next((name for marker, name in SYSTEMS if marker in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    return "Unknown browser"
