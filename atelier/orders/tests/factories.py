"""Test data: people and services from factories, and every later state of an order reached by
calling the real actions (never by writing a status), so tests exercise the same paths as users."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import factory
from django.core.files.base import ContentFile

from atelier.accounts.models import User
from atelier.catalog.models import Policy, Service
from atelier.orders import actions, queries
from atelier.orders.actions import Upload
from atelier.orders.models import FLOW_PRESETS, Order, QCReview, Submission


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy


class ServiceFactory(factory.django.DjangoModelFactory):
    """A service; its policy's values as `policy__<field>=` (today's defaults otherwise)."""

    class Meta:
        model = Service
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())
    revision_triage = False
    policy = factory.SubFactory(PolicyFactory)


def doc(name: str = "draft.txt", text: str = "Some words.\n", title: str = "") -> Upload:
    return Upload(ContentFile(text.encode(), name=name), title=title)


@dataclass
class World:
    """The people of one test: a customer, two experts, a reviewer, an agent and a stranger
    (an active expert with nothing to do with the order), plus a service."""

    customer: User
    expert: User
    expert2: User
    reviewer: User
    agent: User
    stranger: User
    service: Service
    orders: list[Order] = field(default_factory=list)

    @classmethod
    def build(cls) -> "World":
        return cls(
            customer=UserFactory(email="customer@example.com", is_customer=True),
            expert=UserFactory(email="expert@example.com", is_expert=True),
            expert2=UserFactory(email="expert2@example.com", is_expert=True),
            reviewer=UserFactory(email="reviewer@example.com", is_reviewer=True),
            agent=UserFactory(email="agent@example.com", is_agent=True),
            stranger=UserFactory(email="stranger@example.com", is_expert=True, is_customer=True),
            service=ServiceFactory(slug="resume-writing"),
        )

    # -- reaching states through the real actions ------------------------------------------

    def order(self, flow: str = Order.Flow.WRITER_PORTAL, **fields) -> Order:
        fields = {
            **FLOW_PRESETS[flow],
            "reward_amount": Decimal("120.00"),
            "title": "A resume",
            "instructions": "One page, please.",
            **fields,
        }
        order = actions.create_order(
            actor=self.agent,
            customer=self.customer,
            service=fields.pop("service", self.service),
            **fields,
        )
        self.orders.append(order)
        return order

    def assigned(self, flow: str = Order.Flow.WRITER_PORTAL, **fields) -> Order:
        """An order with self.expert at work on it, through the flow's own way in."""
        order = self.order(flow, **fields)
        if order.assignment == Order.Assignment.DIRECT:
            actions.assign_expert(order, actor=self.agent, expert=self.expert)
        else:
            actions.invite_experts(order, actor=self.agent, experts=[self.expert, self.expert2])
            actions.accept_invitation(order.invitations.get(expert=self.expert), actor=self.expert)
        order.refresh_from_db()
        return order

    def submit(self, order: Order, n: int = 1) -> Submission:
        submission = actions.submit_work(
            order,
            actor=self.expert,
            notes=f"Version {n}.",
            files=[doc(f"resume-v{n}.txt", f"Resume version {n}\n", "Resume")],
        )
        order.refresh_from_db()
        return submission

    def approve(self, submission: Submission) -> None:
        actions.review_submission(
            submission, actor=self.reviewer, decision=QCReview.Decision.APPROVE
        )
        submission.refresh_from_db()
        submission.order.refresh_from_db()

    def deliver(self, order: Order, n: int = 1) -> Submission:
        """Submit and, where QC applies, approve: the customer can see it."""
        submission = self.submit(order, n)
        if order.qc_required:
            self.approve(submission)
        order.refresh_from_db()
        return submission

    def delivered(self, flow: str = Order.Flow.WRITER_PORTAL, **fields) -> Order:
        order = self.assigned(flow, **fields)
        self.deliver(order)
        return order

    def busy(
        self,
        flow: str = Order.Flow.MARKETPLACE,
        *,
        submissions: int = 1,
        files: int = 3,
        comments: int = 1,
    ) -> Order:
        """An order delivered `submissions` times, `files` files each, each delivery answered by
        a revision request (the last one still open), with `comments` messages from the customer
        and the expert (every twentieth with a file): data a page's query count must not grow
        with. The customer has not opened the deliveries yet."""
        order = self.assigned(flow)
        for n in range(1, submissions + 1):
            if n > 1:
                self.revise(order, f"Revision {n}, please.")
            submission = actions.submit_work(
                order,
                actor=self.expert,
                notes=f"Version {n}.",
                files=[
                    doc(f"part{k}-v{n}.txt", f"Part {k}, version {n}\n", f"Part {k}")
                    for k in range(files)
                ],
            )
            order.refresh_from_db()
            if order.qc_required:
                self.approve(submission)
        self.revise(order, "One more change, please.")
        for n in range(comments):
            actions.post_comment(
                order,
                actor=self.expert if n % 2 else self.customer,
                body=f"Message {n}.",
                files=[doc(f"note{n}.txt")] if n % 20 == 0 else (),
            )
        order.refresh_from_db()
        return order

    def open_latest(self, order: Order) -> None:
        actions.mark_delivery_opened(queries.latest_delivery(order), actor=self.customer)

    def revise(self, order: Order, comments: str = "Please add my promotion."):
        request = actions.request_revision(order, actor=self.customer, comments=comments)
        order.refresh_from_db()
        return request

    def completed_on_a_revision(self, files: Sequence[Upload], **fields) -> Order:
        """A writer-portal order delivered, revised, then completed by the customer on the
        revision, whose `files` are the final documents."""
        order = self.delivered(**fields)
        self.revise(order)
        actions.submit_work(order, actor=self.expert, notes="Final.", files=files)
        order.refresh_from_db()
        actions.complete_order(order, actor=self.customer)
        order.refresh_from_db()
        return order
