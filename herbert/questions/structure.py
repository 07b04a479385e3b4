"""The building blocks of the registry: Section, Page and Question (see herbert.questions.registry)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

from herbert.questions.fields import QuestionField

Document = dict[str, dict[str, Any]]
KINDS = ("text", "long_text", "date", "datetime", "number", "yes_no", "choice", "multi_choice", "address", "phone")


class QuestionForm(FlaskForm):
    """Base of every page's form. The buttons are plain <button name="action"> elements, not fields,
    so every field of a QuestionForm is a question."""


@dataclass(eq=False)
class Question:
    """One answerable field: its key in the section's answers, label, kind and Core flag."""

    name: str
    label: str
    kind: str
    core: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    show_if: tuple[str, tuple[str, ...]] | None = None
    unit: str | None = None
    limit: int | None = None
    filled_at_publish: bool = False
    automatic: bool = False
    row_questions: tuple["Question", ...] = ()
    section: "Section" = field(default=None, repr=False)  # type: ignore[assignment]
    page: "Page" = field(default=None, repr=False)  # type: ignore[assignment]

    def revealed(self, answers: dict[str, Any]) -> bool:
        """False for a follow-up whose parent answer (on the same page) does not reveal it."""
        if self.show_if is None:
            return True
        parent, values = self.show_if
        return answers.get(parent) in values


def unbound_fields(form_class: type[FlaskForm]) -> list[tuple[str, UnboundField]]:
    """The form's fields in declaration order, read without building a form (no request needed)."""
    found = [
        (name, value)
        for klass in reversed(form_class.__mro__)
        for name, value in vars(klass).items()
        if isinstance(value, UnboundField)
    ]
    unique = dict(found)  # a subclass's redefinition wins
    return sorted(unique.items(), key=lambda item: item[1].creation_counter)


def question_from_unbound(name: str, unbound: UnboundField) -> Question:
    field_class = unbound.field_class
    if not issubclass(field_class, QuestionField):
        raise TypeError(f"{name}: every field of a question form must be a QuestionField")
    kwargs = unbound.kwargs
    label = unbound.args[0] if unbound.args else kwargs.get("label", name)
    show_if = kwargs.get("show_if")
    if show_if is not None:
        parent, values = show_if
        show_if = (parent, (values,) if isinstance(values, str) else tuple(values))
    choices = kwargs.get("choices")
    if field_class.kind == "yes_no":
        choices = (("yes", "Yes"), ("no", "No"))
    return Question(
        name=name,
        label=label,
        kind=field_class.kind,
        core=bool(kwargs.get("core", False)),
        choices=tuple((str(value), str(text)) for value, text in (choices or ())),
        hint=kwargs.get("description", ""),
        show_if=show_if,
        unit=kwargs.get("unit") or getattr(field_class, "default_unit", None),
        limit=getattr(field_class, "limit", None),
        filled_at_publish=bool(kwargs.get("filled_at_publish", False)),
        automatic=bool(getattr(field_class, "automatic", False)),
    )


@dataclass(eq=False)
class Page:
    """One question page. For an "add another" page, form_class is the form of one row and rows_key
    is the key in the section's answers holding the list of row dicts."""

    slug: str
    title: str
    form_class: type[QuestionForm]
    rows_key: str | None = None
    row_noun: str = "entry"  # "Add a medicine" / "Add another medicine"
    row_article: str = "a"
    intro: str = ""
    show_when: Callable[[Document], bool] | None = None
    rows_core: bool = False
    section: "Section" = field(default=None, repr=False)  # type: ignore[assignment]
    questions: tuple[Question, ...] = ()

    def show(self, document: Document) -> bool:
        """Skip logic: whether this page applies, given everything answered so far."""
        return self.show_when is None or bool(self.show_when(document))

    @property
    def row_questions(self) -> tuple[Question, ...]:
        return self.questions[0].row_questions if self.rows_key else ()

    def field_names(self) -> tuple[str, ...]:
        return tuple(question.name for question in self.questions)


@dataclass(frozen=True)
class CoreCheck:
    """A Core item that is not a single question ("at least one next of kin or emergency contact")."""

    label: str
    satisfied: Callable[[dict[str, Any]], bool]


@dataclass(eq=False)
class Section:
    slug: str
    letter: str
    title: str
    pages: tuple[Page, ...] = ()
    endpoint: str | None = None
    intro: str = ""
    applies_when: Callable[[Document], bool] | None = None
    core_checks: tuple[CoreCheck, ...] = ()
    # Shown in the section's place when it does not apply ("Not needed: …"), so the letters after it stay
    # those of the paper form and a carer and an officer with a paper copy talk about the same letters.
    not_needed: str = ""

    def __post_init__(self) -> None:
        for page in self.pages:
            page.section = self
            questions = [question_from_unbound(name, unbound) for name, unbound in unbound_fields(page.form_class)]
            for question in questions:
                question.section, question.page = self, page
            if page.rows_key:
                rows = Question(
                    name=page.rows_key,
                    label=page.title,
                    kind="rows",
                    core=page.rows_core,
                    hint=page.intro,
                    row_questions=tuple(questions),
                    section=self,
                    page=page,
                )
                page.questions = (rows,)
            else:
                page.questions = tuple(questions)

    def applies(self, document: Document) -> bool:
        """Section L only for a care home or supported living; every other section always."""
        return self.applies_when is None or bool(self.applies_when(document))

    def page_by_slug(self, slug: str) -> Page:
        for page in self.pages:
            if page.slug == slug:
                return page
        raise KeyError(slug)

    def questions(self) -> Iterator[Question]:
        for page in self.pages:
            yield from page.questions
