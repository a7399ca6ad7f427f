"""Factories for the directory and users. Deals and activities are made through the services, so
tests exercise the same path a user does."""

from __future__ import annotations

import factory

from salespipe.core.text import fold
from salespipe.directory.models import Organization, Person
from salespipe.people.models import Role, Team, User


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.test")
    role = Role.REP
    time_zone = "Europe/Athens"
    password = factory.django.Password("correct horse battery staple")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n} S.A.")
    search_name = factory.LazyAttribute(lambda organization: fold(organization.name))


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@prospect.test")
    organization = factory.SubFactory(OrganizationFactory)
    search_name = factory.LazyAttribute(lambda person: fold(f"{person.first_name} {person.last_name}"))
