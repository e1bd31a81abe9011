"""The demo that `make run` serves: the people and services of DESIGN.md, and orders in every
state of the three flows, each reached by calling the real actions at moments in the past.

Idempotent: people and services are updated in place; an order whose title exists is skipped.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.test import override_settings

from atelier.accounts.models import User
from atelier.catalog.models import Service
from atelier.catalog.services import change_policy
from atelier.core import clock
from atelier.notifications import delivery
from atelier.orders import actions, queries, rules
from atelier.orders.actions import Upload
from atelier.orders.models import FLOW_PRESETS, Flag, Order
from atelier.rewards.services import release_due

PASSWORD = "atelier-demo"

PEOPLE = [
    # email, name, roles
    ("customer@example.com", "Casey Customer", {"is_customer": True}),
    ("expert@example.com", "Erin Expert", {"is_expert": True}),
    ("expert2@example.com", "Ezra Expert", {"is_expert": True}),
    ("reviewer@example.com", "Riley Reviewer", {"is_reviewer": True}),
    ("reviewer2@example.com", "Robin Reviewer", {"is_reviewer": True}),
    ("agent@example.com", "Avery Agent", {"is_agent": True}),
]

SERVICES = [
    # slug, name, included revisions, triage, flow of customers' orders, reward
    ("resume-writing", "Resume writing", 3, False, "writer_portal", "120.00"),
    ("cover-letter", "Cover letter", 2, False, "expert_hub", "60.00"),
    ("linkedin-profile", "LinkedIn profile", 2, True, "expert_hub", "90.00"),
    ("translation", "Translation", 3, False, "marketplace", "80.00"),
    ("proofreading", "Proofreading", 2, False, "marketplace", "40.00"),
    ("voice-over", "Voice-over", 1, True, "marketplace", "150.00"),
]


def _doc(name: str, text: str, title: str = "") -> Upload:
    return Upload(ContentFile(text.encode(), name=name), title=title)


class Demo:
    def __init__(self, now: datetime):
        self.now = now
        self.people = {
            email.split("@")[0]: self._person(email, name, roles) for email, name, roles in PEOPLE
        }
        self.services = {
            slug: self._service(slug, name, n, triage, flow, Decimal(reward))
            for slug, name, n, triage, flow, reward in SERVICES
        }
        self.created: list[str] = []

    def _person(self, email: str, name: str, roles: dict) -> User:
        user = User.objects.filter(email=email).first() or User(email=email)
        user.name = name
        for role, held in roles.items():
            setattr(user, role, held)
        if user.pk is None:
            user.set_password(PASSWORD)
        user.save()
        return user

    def _service(
        self, slug: str, name: str, included: int, triage: bool, flow: str, reward: Decimal
    ) -> Service:
        service, _ = Service.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "revision_triage": triage,
                "flow": flow,
                "reward_amount": reward,
            },
        )
        change_policy(service, actor=None, included_revisions=included)
        service.refresh_from_db()
        return service

    # -- building blocks -------------------------------------------------------------------

    def at(self, days_ago: float) -> datetime:
        return self.now - timedelta(days=days_ago)

    def step(self, days_ago: float, fn: Callable, *args, **kwargs):
        with clock.frozen_at(self.at(days_ago)):
            result = fn(*args, **kwargs)
        for arg in args:  # actions work on a locked copy; keep ours current
            if isinstance(arg, Order):
                arg.refresh_from_db()
        return result

    def order(self, title: str, flow: str, service: str, days_ago: float, **fields) -> Order | None:
        if Order.objects.filter(title=title, customer=self.people["customer"]).exists():
            return None
        self.created.append(title)
        return self.step(
            days_ago,
            actions.create_order,
            actor=self.people["agent"],
            customer=self.people["customer"],
            service=self.services[service],
            title=title,
            instructions=fields.pop(
                "instructions", "Please keep it to one page and highlight leadership experience."
            ),
            reward_amount=fields.pop("reward", Decimal("120.00")),
            attachments=[_doc("old-resume.txt", "Casey Customer\nProject manager, 2015-2025\n")],
            **{**FLOW_PRESETS[flow], **fields},
        )

    def submit(self, order: Order, days_ago: float, n: int, expert: str = "expert") -> None:
        """The expert's round `n`, answering every open point (the first with a note)."""
        points = queries.open_items(order)
        self.step(
            days_ago,
            actions.submit_work,
            order,
            actor=self.people[expert],
            notes=f"Version {n}: tightened the summary and reordered the achievements.",
            files=[
                _doc(
                    f"resume-v{n}.md", f"# Casey Customer\n\nVersion {n} of the resume.\n", "Resume"
                ),
                _doc(
                    f"cover-letter-v{n}.md",
                    f"Dear hiring manager,\n\nVersion {n}.\n",
                    "Cover letter",
                ),
            ],
            addressed=[point.pk for point in points],
            item_notes={points[0].pk: "Done: see the second paragraph."} if points else {},
        )

    def approve(self, order: Order, days_ago: float) -> None:
        """QC passes every point of the service's checklist."""
        latest = order.submissions.order_by("-number").first()
        self.step(
            days_ago,
            actions.review_submission,
            latest,
            actor=self.people["reviewer"],
            scorecard=[rules.Mark(point, True) for point in order.policy.qc_checklist],
        )

    def send_back(self, order: Order, days_ago: float, failed: str, *, extra: str = "") -> None:
        """QC fails the checklist point that starts with `failed`, with evidence."""
        latest = order.submissions.order_by("-number").first()
        marks = [
            rules.Mark(point, False, failed.partition(":")[2].strip())
            if point.startswith(failed.partition(":")[0])
            else rules.Mark(point, True)
            for point in order.policy.qc_checklist
        ]
        self.step(
            days_ago,
            actions.review_submission,
            latest,
            actor=self.people["reviewer"],
            scorecard=marks,
            items=[extra] if extra else None,
        )

    def open_delivery(self, order: Order, days_ago: float) -> None:
        latest = queries.latest_delivery(order)
        self.step(days_ago, actions.mark_delivery_opened, latest, actor=self.people["customer"])

    def revise(
        self,
        order: Order,
        days_ago: float,
        items: tuple[str, ...] = ("Please add my 2024 promotion.", "Shorten the summary."),
    ) -> None:
        self.step(
            days_ago,
            actions.request_revision,
            order,
            actor=self.people["customer"],
            items=list(items),
        )

    def rate(
        self, order: Order, days_ago: float, stars: int, text: str, tip: str | None = None
    ) -> None:
        """The customer rates the completed order, with a tip (pending, or released by the
        sweep at the end once its hold is over)."""
        self.step(
            days_ago,
            actions.rate_order,
            order,
            actor=self.people["customer"],
            stars=stars,
            text=text,
            tip_amount=tip,
        )

    def assign(self, order: Order, days_ago: float, expert: str = "expert") -> None:
        self.step(
            days_ago,
            actions.assign_expert,
            order,
            actor=self.people["agent"],
            expert=self.people[expert],
        )

    def invite_and_accept(
        self, order: Order, days_ago: float, winner: str | None = "expert"
    ) -> None:
        self.step(
            days_ago,
            actions.invite_experts,
            order,
            actor=self.people["agent"],
            experts=[self.people["expert"], self.people["expert2"]],
        )
        if winner:
            invitation = order.invitations.get(expert=self.people[winner])
            self.step(
                days_ago - 0.1, actions.accept_invitation, invitation, actor=self.people[winner]
            )

    # -- the three flows ---------------------------------------------------------------------

    def writer_portal(self) -> None:
        flow, svc = Order.Flow.WRITER_PORTAL, "resume-writing"
        self.order("Resume refresh (new, not assigned)", flow, svc, 1)
        if o := self.order("Resume for a product manager role (in progress)", flow, svc, 3):
            self.assign(o, 2.9)
        if o := self.order("Executive resume (delivered)", flow, svc, 6):
            self.assign(o, 5.9)
            self.submit(o, 4, 1)
            # Nobody answered for 3 days: told it completes by itself within a day.
            self.step(0.05, actions.warn_auto_complete, o)
        # Clocks: due within a day, overdue, and more time asked for (5-day turnaround).
        if o := self.order("Resume for a data analyst (due soon)", flow, svc, 4.6):
            self.assign(o, 4.5)
        if o := self.order("Resume for a chef (overdue)", flow, svc, 7):
            self.assign(o, 6.9)
        if o := self.order("Resume for an engineer (more time asked)", flow, svc, 4):
            self.assign(o, 3.9)
            self.step(
                0.5,
                actions.request_extension,
                o,
                actor=self.people["expert"],
                due_at=o.due_at + timedelta(days=3),
                reason="You sent three more job descriptions: I want to tailor the resume to each.",
            )
        if o := self.order("Graduate resume (revision requested)", flow, svc, 9):
            self.assign(o, 8.9)
            self.submit(o, 7, 1)
            self.open_delivery(o, 6.5)
            self.revise(o, 6)
            self.step(
                5.5,
                actions.raise_flag,
                o,
                actor=self.people["expert"],
                kind=Flag.Kind.EXCESSIVE_REVISIONS,
                note="The customer now wants a different career focus.",
            )
        if o := self.order("Career-change resume (revision delivered)", flow, svc, 12):
            self.assign(o, 11.9)
            self.submit(o, 10, 1)
            self.revise(o, 9)
            self.submit(o, 8, 2)
        if o := self.order("Nurse resume (completed)", flow, svc, 45):
            self.assign(o, 44.9)
            self.submit(o, 42, 1)
            self.open_delivery(o, 41.5)
            self.step(41, actions.complete_order, o, actor=self.people["customer"])
            self.rate(
                o, 40.5, 5, "Erin found the story in my career. Two interviews already!", "20.00"
            )
        if o := self.order("Teacher resume (expert asked an agent to complete)", flow, svc, 15):
            self.assign(o, 14.9)
            self.submit(o, 13, 1)
            self.step(
                2,
                actions.raise_flag,
                o,
                actor=self.people["expert"],
                kind=Flag.Kind.COMPLETION_REQUEST,
                note="The customer confirmed by phone that they are happy.",
            )
        if o := self.order("Sales resume (cancelled)", flow, svc, 5):
            self.step(
                4.5,
                actions.cancel_order,
                o,
                actor=self.people["agent"],
                reason="The customer ordered twice.",
            )

    def expert_hub(self) -> None:
        flow = Order.Flow.EXPERT_HUB
        self.order("Cover letter for a start-up (new, not assigned)", flow, "cover-letter", 1)
        if o := self.order("Cover letter for a museum (in progress)", flow, "cover-letter", 2):
            self.assign(o, 1.9)
        if o := self.order("Cover letter for a law firm (cancelled)", flow, "cover-letter", 3):
            self.assign(o, 2.9)
            self.step(
                2,
                actions.cancel_order,
                o,
                actor=self.people["agent"],
                reason="The customer withdrew the application.",
            )
        if o := self.order(
            "Cover letter for a design studio (closable now)", flow, "cover-letter", 12
        ):
            self.assign(o, 11.9)
            self.submit(o, 9, 1)
            self.open_delivery(o, 8.5)
        if o := self.order("Cover letter for a bank (not closable yet)", flow, "cover-letter", 4):
            self.assign(o, 3.9)
            self.submit(o, 2, 1)
            self.open_delivery(o, 1.5)
        if o := self.order(
            "Cover letter for a charity (customer has not opened it)", flow, "cover-letter", 14
        ):
            self.assign(o, 13.9)
            self.submit(o, 10, 1)
        if o := self.order(
            "LinkedIn profile (revision waiting for triage)", flow, "linkedin-profile", 8
        ):
            self.assign(o, 7.9)
            self.submit(o, 6, 1)
            self.open_delivery(o, 5.5)
            self.revise(o, 5, ("Could you also write my headline in Spanish?",))
            self.step(
                4,
                actions.raise_flag,
                o,
                actor=self.people["customer"],
                kind=Flag.Kind.CONCERN,
                note="I have not heard back about my Spanish headline.",
            )
        if o := self.order(
            "LinkedIn profile (closed with a farewell)", flow, "linkedin-profile", 20
        ):
            self.assign(o, 19.9)
            self.submit(o, 18, 1)
            self.open_delivery(o, 17.5)
            info = self.step(10, actions.close_info, o, actor=self.people["expert"])
            self.step(
                10,
                actions.close_order,
                o,
                actor=self.people["expert"],
                message=info.farewell_template,
            )
        if o := self.order(
            "Cover letter, late revision (closable in 2 days)", flow, "cover-letter", 12
        ):
            self.assign(o, 11.9)
            self.submit(o, 8, 1)
            self.open_delivery(o, 7.8)
            self.revise(o, 1.5)
            self.submit(o, 1, 2)

    def marketplace(self) -> None:
        flow = Order.Flow.MARKETPLACE
        self.order(
            "Translate a birth certificate (speedy, not yet offered)",
            flow,
            "translation",
            1,
            reward=Decimal("45.00"),
        )
        if o := self.order(
            "Translate a contract (speedy, invitations out)",
            flow,
            "translation",
            2,
            reward=Decimal("80.00"),
        ):
            self.invite_and_accept(o, 1.9, winner=None)
        if o := self.order(
            "Booked voice-over (waiting for the booked pro)",
            flow,
            "voice-over",
            2,
            assignment=Order.Assignment.BOOKING,
            reward=Decimal("150.00"),
        ):
            self.step(
                1.9,
                actions.invite_experts,
                o,
                actor=self.people["agent"],
                experts=[self.people["expert2"]],
            )
        proof = self.order(
            "Proofread the translated thesis (linked, open)",
            flow,
            "proofreading",
            3,
            reward=Decimal("60.00"),
        )
        if o := self.order(
            "Translate a thesis (speedy, taken)",
            flow,
            "translation",
            3,
            reward=Decimal("200.00"),
            linked_order=proof,
        ):
            self.invite_and_accept(o, 2.9)
        if o := self.order(
            "Translate a menu (waiting for QC)",
            flow,
            "translation",
            4,
            assignment=Order.Assignment.CONTEST,
        ):
            self.invite_and_accept(o, 3.9)
            self.submit(o, 1, 1)
        if o := self.order(
            "Translate a lease (QC sent it back, the expert appealed)", flow, "translation", 5
        ):
            self.invite_and_accept(o, 4.9)
            self.submit(o, 3, 1)
            self.send_back(
                o,
                2.5,
                "Terminology: “deposit” is “Kaution” in clause 2 and “Anzahlung” in clause 7.",
            )
            self.step(
                2,
                actions.appeal_review,
                o.submissions.get(number=1),
                actor=self.people["expert"],
                reason="Clause 7 is about a down payment, not the security deposit: the source "
                "uses two different words, and so does the translation.",
            )
        if o := self.order(
            "Translate a diploma (QC rework, back with the same reviewer)", flow, "translation", 6
        ):
            self.invite_and_accept(o, 5.9)
            self.submit(o, 4, 1)
            self.send_back(
                o,
                3.5,
                "Numbers: the grade 1,7 is written 1.7 in the German original.",
                extra="Keep the university's seal described in a translator's note.",
            )
            self.submit(o, 0.2, 2)
        if o := self.order("Translate a will (an agent gave it to Robin)", flow, "translation", 3):
            self.invite_and_accept(o, 2.9)
            self.submit(o, 0.5, 1)
            self.step(
                0.1,
                actions.assign_reviewer,
                o.submissions.get(number=1),
                actor=self.people["agent"],
                reviewer=self.people["reviewer2"],
            )
        if o := self.order("Translate a website (delivered after QC)", flow, "translation", 8):
            self.invite_and_accept(o, 7.9)
            self.submit(o, 6, 1)
            self.approve(o, 5.5)
        if o := self.order("Translate a brochure (revision requested)", flow, "translation", 10):
            self.invite_and_accept(o, 9.9)
            self.submit(o, 8, 1)
            self.approve(o, 7.5)
            self.revise(o, 7)
        if o := self.order("Translate a manual (revision in QC)", flow, "translation", 11):
            self.invite_and_accept(o, 10.9)
            self.submit(o, 9, 1)
            self.approve(o, 8.5)
            self.revise(o, 8)
            self.submit(o, 1, 2)
        if o := self.order(
            "Translate a press release (revision delivered)", flow, "translation", 12
        ):
            self.invite_and_accept(o, 11.9)
            self.submit(o, 10, 1)
            self.approve(o, 9.5)
            self.revise(o, 9)
            self.submit(o, 8, 2)
            self.approve(o, 7.5)
        if o := self.order(
            "Translate an annual report (completed, reward released)",
            flow,
            "translation",
            50,
            reward=Decimal("300.00"),
        ):
            self.invite_and_accept(o, 49.9)
            self.submit(o, 47, 1)
            self.approve(o, 46)
            self.step(44, actions.complete_order, o, actor=self.people["customer"])
            self.rate(o, 43, 4, "Accurate and on time; a few terms needed a second look.")
        if o := self.order(
            "Translate a letter (completed, reward pending)",
            flow,
            "translation",
            10,
            reward=Decimal("40.00"),
        ):
            self.invite_and_accept(o, 9.9)
            self.submit(o, 8, 1)
            self.approve(o, 7.5)
            self.step(7, actions.complete_order, o, actor=self.people["customer"])
            self.rate(o, 6.5, 5, "", "10.00")
        if o := self.order(
            "Voice-over for an ad (expert asked for a fee)",
            flow,
            "voice-over",
            6,
            reward=Decimal("90.00"),
        ):
            self.invite_and_accept(o, 5.9)
            self.step(
                5,
                actions.request_fee,
                o,
                actor=self.people["expert"],
                amount="30.00",
                reason="The script doubled in length.",
            )
        if o := self.order("Translate a recipe book (cancelled)", flow, "translation", 6):
            self.invite_and_accept(o, 5.9, winner=None)
            self.step(
                5,
                actions.cancel_order,
                o,
                actor=self.people["agent"],
                reason="The customer found a bilingual edition.",
            )


@transaction.atomic
def seed(now: datetime | None = None) -> list[str]:
    """Load the demo; return the titles of the orders it created (empty when all exist)."""
    demo = Demo(now or clock.now())
    demo.writer_portal()
    demo.expert_hub()
    demo.marketplace()
    release_due(now=demo.now)
    transaction.on_commit(_send_quietly)
    return demo.created


def _send_quietly() -> None:
    """The demo's history has already happened: its e-mails are stored as sent (readable on the
    outbox page) without printing hundreds of them to the console."""
    quiet = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with override_settings(MAILERS=quiet):
        for pk in delivery.due_ids(limit=10_000):
            delivery.deliver(pk)
