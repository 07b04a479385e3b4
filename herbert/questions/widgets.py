"""GOV.UK widgets the installed govuk-frontend-wtf does not quite provide."""

from typing import Any

from govuk_frontend_wtf.gov_form_base import GovFormBase
from markupsafe import Markup


class GovDateWidget(GovFormBase):
    """govukDateInput for DateQuestion: three boxes named alike, refilled from what was typed.

    Unlike govuk-frontend-wtf's GovDateInput it copes with a partly filled or missing date in the
    submitted form, and keeps the container id apart from the day box's id (the error summary
    links to the day box, as the GOV.UK pattern asks)."""

    template = "govuk_frontend_wtf/date.html"

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("id", field.name)
        return super().__call__(field, **kwargs)

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        params = super().map_gov_params(field, **kwargs)
        params.pop("label", None)
        params.pop("value", None)
        error_class = " govuk-input--error" if field.errors else ""
        widths = ("govuk-input--width-2", "govuk-input--width-2", "govuk-input--width-4")
        params.setdefault("fieldset", {"legend": {"text": field.label.text}})
        params["items"] = [
            {
                "label": label,
                "id": f"{field.name}-{label.lower()}",
                "name": field.name,
                "classes": width + error_class,
                "value": value,
                "inputmode": "numeric",
            }
            for label, width, value in zip(("Day", "Month", "Year"), widths, field.parts, strict=True)
        ]
        return params


# --- drawing a page's questions -------------------------------------------------------------------

_CHOICE_KINDS = ("yes_no", "choice")
_GROUP_KINDS = ("yes_no", "choice", "multi_choice", "date")


def top_level_fields(form: Any) -> list[Any]:
    """The fields drawn directly on the page (follow-ups are drawn inside their parent's reveal)."""
    return [field for field in form if getattr(field, "kind", None) and getattr(field, "show_if", None) is None]


def render_question(form: Any, field: Any, answers: dict[str, Any], heading: str | None = None) -> Markup:
    """One question with its GOV.UK component; a radio's follow-ups go in its conditional reveals.

    `heading` makes the label or legend the page's <h1> (pages with a single question)."""
    from herbert.dates import format_date

    kind = field.kind
    if getattr(field, "automatic", False):
        value = answers.get(field.name)
        text = format_date(value) if value else "This is set automatically when you confirm the form."
        return Markup(
            '<div class="govuk-form-group"><h2 class="govuk-heading-s">{}</h2><p class="govuk-body">{}</p></div>'
        ).format(field.label.text, text)
    params: dict[str, Any] = {}
    if kind in _GROUP_KINDS:
        legend: dict[str, Any] = {"text": heading or field.label.text, "classes": "govuk-fieldset__legend--s"}
        if heading:
            legend |= {"isPageHeading": True, "classes": "govuk-fieldset__legend--l"}
        params["fieldset"] = {"legend": legend}
        if not field.description:
            params["hint"] = None
    else:
        label: dict[str, Any] = {"text": heading or field.label.text, "classes": "govuk-label--s"}
        if heading:
            label |= {"isPageHeading": True, "classes": "govuk-label--l"}
        params["label"] = label
    if getattr(field, "width", None):
        params["classes"] = field.width
    if kind == "long_text":
        params["maxlength"] = field.limit
        params["rows"] = 5
    elif kind == "address":
        params["rows"] = 4
    elif kind == "phone":
        params["type"] = "tel"
    elif kind == "number":
        params["spellcheck"] = False
        if getattr(field, "unit", None):
            params["suffix"] = {"text": field.unit}
    children = [child for child in form if getattr(child, "show_if", None) and child.show_if[0] == field.name]
    if kind in _CHOICE_KINDS:
        if children:
            items = []
            for value in field.choice_values():
                revealed = [child for child in children if value in _values(child.show_if[1])]
                html = Markup("").join(render_question(form, child, answers) for child in revealed)
                items.append({"conditional": {"html": html}} if revealed else {})
            params["items"] = items
        elif kind == "yes_no":
            params["classes"] = "govuk-radios--inline"
    return field(params=params)


def _values(values: str | tuple[str, ...]) -> tuple[str, ...]:
    return (values,) if isinstance(values, str) else tuple(values)
