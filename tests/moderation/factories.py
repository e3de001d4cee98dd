"""Factories of the moderation app (shared: the pipeline's tests may add theirs)."""

import factory

from apps.moderation.models import Case, Report, Rule, Strike
from tests.accounts.factories import UserFactory


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    text = factory.Sequence(lambda n: f"Rule {n}: be kind")
    hint = "No harassment."
    position = factory.Sequence(int)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    content_type = "status"
    content_id = factory.Sequence(lambda n: 10_000 + n)
    author_id = factory.LazyFunction(lambda: UserFactory().pk)
    category = "offensive"
    source = Case.Source.AUTOMATED
    from_automated = True
    score = 0.7
    priority = 2.1


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    reporter = factory.SubFactory(UserFactory)
    target_account = factory.SubFactory(UserFactory)
    case = factory.SubFactory(
        CaseFactory,
        content_type="account",
        content_id=factory.SelfAttribute("..target_account.pk"),
        author_id=factory.SelfAttribute("..target_account.pk"),
        source=Case.Source.REPORT,
        from_automated=False,
    )
    category = Report.Category.SPAM


class StrikeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strike

    account = factory.SubFactory(UserFactory)
    action = Strike.Action.NONE
    text = "Please keep it civil."
