"""E. Communication, orientation and behaviour."""

from herbert.questions.fields import ChoiceQuestion, LongTextQuestion, MultiChoiceQuestion, TextQuestion, YesNoQuestion
from herbert.questions.structure import Page, QuestionForm, Section


class CommunicationForm(QuestionForm):
    how_communicates = LongTextQuestion(
        "How they communicate and understand",
        core=True,
        description="For example speaks clearly but forgets quickly, understands short sentences, uses gestures",
    )
    can_give_name = YesNoQuestion("Can they give their own name?")
    can_give_address = YesNoQuestion("Can they give their own address?")


class ApproachForm(QuestionForm):
    best_approach = LongTextQuestion(
        "Best way to approach them", core=True, description="For example from the front, slowly, using their first name"
    )
    what_calms = LongTextQuestion("What calms them", core=True)
    what_upsets = LongTextQuestion("What upsets them", core=True)


class FearsForm(QuestionForm):
    fears = MultiChoiceQuestion(
        "Fears and sensitivities",
        choices=[
            ("noise", "Loud noise"),
            ("touch", "Being touched"),
            ("uniforms", "Uniforms"),
            ("dogs", "Dogs"),
            ("crowds", "Crowds"),
            ("dark", "The dark"),
            ("traffic", "Traffic"),
        ],
        description="Select all that apply",
    )
    fears_details = LongTextQuestion("More about their fears")
    drawn_to = MultiChoiceQuestion(
        "Things they are drawn to",
        choices=[
            ("water", "Water"),
            ("trains", "Trains or railways"),
            ("buses", "Buses"),
            ("animals", "Animals"),
            ("building_sites", "Building sites"),
            ("shops", "Shops"),
            ("places_of_worship", "Places of worship"),
        ],
        description="Select all that apply",
    )
    drawn_to_details = LongTextQuestion("More about what they are drawn to")


class StateOfMindForm(QuestionForm):
    believed_purpose = LongTextQuestion(
        "What they may believe they are doing when they leave",
        description="For example going to work, collecting the children from school, going home to their parents",
    )
    restless_times = TextQuestion("Restless times of day", description="For example late afternoon")
    night_waking = YesNoQuestion("Do they wake and get up at night?")
    responds_to_name = ChoiceQuestion(
        "Responds to their name being called",
        choices=[("yes", "Yes"), ("no", "No"), ("not_sure", "Not sure")],
        description="Most people with dementia do not, so searchers should not rely on calling out",
    )


SECTION = Section(
    slug="communication-and-behaviour",
    letter="E",
    title="Communication, orientation and behaviour",
    pages=(
        Page("communication", "How they communicate", CommunicationForm),
        Page("approaching-them", "Approaching them", ApproachForm),
        Page("fears-and-attractions", "Fears and things they are drawn to", FearsForm),
        Page("state-of-mind", "What they might be doing", StateOfMindForm),
    ),
)
