"""Fill GOV.UK forms with the keyboard alone: Tab from the top of the page, type into text boxes, pick
radios with Space and the arrow keys, tick checkboxes with Space, open the file chooser with Space,
and stop when the submit button has focus.

What to answer comes from a callback given each focused control, so the same filler serves the question
pages (answers derived from herbert.questions.registry), row pages and the photo page.
"""

from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import FileChooser, Page

FOCUS_INFO = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const radios = e.type === 'radio' ? [...document.getElementsByName(e.name)] : [];
  return {
    tag: e.tagName.toLowerCase(),
    type: (e.getAttribute('type') || '').toLowerCase(),
    name: e.name || '',
    id: e.id || '',
    value: typeof e.value === 'string' ? e.value : '',
    checked: !!e.checked,
    text: (e.innerText || '').trim(),
    in_form: !!e.closest('main form'),
    skip_link: e.matches('a.govuk-skip-link'),
    file_button: e.type === 'file' || !!e.closest('.govuk-drop-zone, .govuk-file-upload-button'),
    radio_values: radios.map((r) => r.value),
    radio_checked: radios.findIndex((r) => r.checked),
  };
}"""

TEXT_TYPES = ("", "text", "tel", "email", "number", "search", "url")


@dataclass
class Focused:
    tag: str
    type: str
    name: str
    id: str
    value: str
    checked: bool
    text: str
    in_form: bool
    skip_link: bool
    file_button: bool
    radio_values: list[str]
    radio_checked: int

    @property
    def is_text(self) -> bool:
        return self.tag == "textarea" or (self.tag == "input" and self.type in TEXT_TYPES)

    @property
    def date_part(self) -> str | None:
        """ "day", "month" or "year" for a box of a GOV.UK date input (ids end -day, -month, -year)."""
        for part in ("day", "month", "year"):
            if self.id.endswith(f"-{part}"):
                return part
        return None


@dataclass
class File:
    name: str
    mime_type: str
    data: bytes


# What to do with a focused control: text to type (replacing what is there), a radio or checkbox
# value to choose, a File to choose, or None to leave it alone.
Answer = str | File | None
Answerer = Callable[[Focused], Answer]


def focused(page: Page) -> Focused | None:
    info = page.evaluate(FOCUS_INFO)
    return Focused(**info) if info else None


def fill_by_keyboard(page: Page, answer: Answerer, submit_text: str, *, max_presses: int = 400) -> int:
    """Tab through the page answering each form control, and stop with focus on the button whose text is
    `submit_text` (the caller presses Enter, inside journey.navigation()). Returns the Tab presses used."""
    done_groups: set[str] = set()
    for presses in range(1, max_presses + 1):
        page.keyboard.press("Tab")
        control = focused(page)
        if control is None:
            continue
        if presses == 1 and control.skip_link:
            page.keyboard.press("Enter")  # "Skip to main content": the form is in <main>
            continue
        if not control.in_form:
            continue
        if control.file_button:
            if "<file>" not in done_groups:  # the enhanced upload has a button and the input: choose once
                done_groups.add("<file>")
                choose_file(page, answer(control))
        elif control.tag == "button" or control.type in ("submit", "button"):
            if (control.text or control.value) == submit_text:
                return presses
        elif control.type == "radio":
            if control.name not in done_groups:
                done_groups.add(control.name)
                choose_radio(page, control, answer(control))
        elif control.type == "checkbox":
            wanted = answer(control)
            if isinstance(wanted, str) and (wanted == control.value) != control.checked:
                page.keyboard.press("Space")
        elif control.is_text:
            text = answer(control)
            if isinstance(text, str):
                replace_text(page, text)
    raise AssertionError(f"{max_presses} Tab presses never reached the {submit_text!r} button on {page.url}")


def replace_text(page: Page, text: str) -> None:
    """Select what the box holds and type over it (the keyboard way to correct an answer)."""
    page.keyboard.press("ControlOrMeta+a")
    if text:
        for number, line in enumerate(text.split("\n")):
            if number:
                page.keyboard.press("Enter")  # only ever sent for textareas (addresses)
            page.keyboard.type(line)
    else:
        page.keyboard.press("Delete")


def choose_radio(page: Page, control: Focused, value: Answer) -> None:
    """Move through a radio group with the arrow keys (which also select), or Space on the first radio."""
    if not isinstance(value, str) or value not in control.radio_values:
        return
    target = control.radio_values.index(value)
    current = control.radio_values.index(control.value)
    if control.radio_checked < 0 and target == current:
        page.keyboard.press("Space")
        return
    key = "ArrowDown" if target > current else "ArrowUp"
    for _ in range(abs(target - current)):
        page.keyboard.press(key)


def choose_file(page: Page, file: Answer) -> None:
    """Open the file chooser from the focused file input with Space, and pick the file.

    Playwright only intercepts the chooser once its listener is registered with the browser, which
    happens asynchronously; a press that beats it opens nothing (headless), so press again."""
    if not isinstance(file, File):
        return
    chosen: list[FileChooser] = []

    def listener(chooser: FileChooser) -> None:
        chosen.append(chooser)

    page.on("filechooser", listener)
    try:
        for _attempt in range(3):
            page.keyboard.press("Space")
            for _wait in range(50):
                if chosen:
                    chosen[0].set_files({"name": file.name, "mimeType": file.mime_type, "buffer": file.data})
                    return
                page.wait_for_timeout(100)
        raise AssertionError(f"Space on the file input never opened the file chooser on {page.url}")
    finally:
        page.remove_listener("filechooser", listener)
