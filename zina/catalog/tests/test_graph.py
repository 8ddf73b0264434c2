"""The dependency graph: affected services, closures, cycle refusal and cycle detection."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Hashable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog import operations as ops
from zina.catalog.graph import (
    affected_services,
    dependencies_closure,
    dependents_closure,
    find_cycle,
    path_between,
)
from zina.catalog.models import Resource, ResourceDependency, Service
from zina.catalog.tests.conftest import db_counts

Make = Callable[..., Any]


def identifiers(qs: Any) -> list[str]:
    return sorted(s.identifier for s in qs)


@pytest.fixture
def chain(
    institution: Institution, make_service: Make, make_resource: Make, depend: Make
) -> dict[str, Any]:
    """service → application → server → storage → network, and a second service on the
    server only."""
    svc = make_service(institution, "SVC")
    app = make_resource(institution, "APP", type="application")
    server = make_resource(institution, "SERVER")
    storage = make_resource(institution, "STORAGE", type="storage")
    network = make_resource(institution, "NET", type="network")
    batch = make_service(institution, "BATCH")
    depend(svc, app)
    depend(app, server)
    depend(server, storage)
    depend(storage, network)
    depend(batch, server)
    return {
        "svc": svc,
        "batch": batch,
        "app": app,
        "server": server,
        "storage": storage,
        "network": network,
    }


def test_affected_services_along_a_chain(chain: dict[str, Any]) -> None:
    assert identifiers(affected_services(chain["network"])) == ["BATCH", "SVC"]
    assert identifiers(affected_services(chain["storage"])) == ["BATCH", "SVC"]
    assert identifiers(affected_services(chain["server"])) == ["BATCH", "SVC"]
    assert identifiers(affected_services(chain["app"])) == ["SVC"]
    # By id as well as by object.
    assert identifiers(affected_services(chain["network"].pk)) == ["BATCH", "SVC"]


def test_closures_along_a_chain(chain: dict[str, Any]) -> None:
    c = {k: v.pk for k, v in chain.items()}
    assert dependents_closure([c["network"]]) == {
        c["network"],
        c["storage"],
        c["server"],
        c["app"],
    }
    assert dependents_closure([c["app"]]) == {c["app"]}
    assert dependencies_closure([c["app"]]) == {
        c["app"],
        c["server"],
        c["storage"],
        c["network"],
    }
    assert dependencies_closure([c["network"]]) == {c["network"]}
    assert dependencies_closure([c["app"], c["storage"]]) == dependencies_closure([c["app"]])
    assert dependencies_closure([]) == set()
    assert path_between(c["app"], c["network"]) == [
        c["app"],
        c["server"],
        c["storage"],
        c["network"],
    ]
    assert path_between(c["network"], c["app"]) is None


def test_affected_services_through_a_diamond_lists_each_service_once(
    institution: Institution, make_service: Make, make_resource: Make, depend: Make
) -> None:
    svc = make_service(institution, "SVC")
    app = make_resource(institution, "APP", type="application")
    left = make_resource(institution, "LEFT")
    right = make_resource(institution, "RIGHT")
    storage = make_resource(institution, "STORAGE", type="storage")
    depend(svc, app)
    depend(svc, left)  # also directly on one branch of the diamond
    depend(app, left)
    depend(app, right)
    depend(left, storage)
    depend(right, storage)
    affected = affected_services(storage)
    assert [s.identifier for s in affected] == ["SVC"]
    assert affected.count() == 1
    assert dependents_closure([storage.pk]) == {storage.pk, left.pk, right.pk, app.pk}
    assert identifiers(affected_services(right)) == ["SVC"]


def test_shared_infrastructure_reaches_many_services(
    institution: Institution, make_service: Make, make_resource: Make, depend: Make
) -> None:
    network = make_resource(institution, "NET", type="network")
    storage = make_resource(institution, "SAN", type="storage")
    depend(storage, network)
    expected = []
    for i in range(12):
        service = make_service(institution, f"SVC-{i:02d}")
        app = make_resource(institution, f"APP-{i:02d}", type="application")
        server = make_resource(institution, f"HOST-{i:02d}")
        depend(service, app)
        depend(app, server)
        depend(server, storage if i % 2 else network)
        expected.append(service.identifier)
    unrelated = make_service(institution, "ALONE")
    depend(unrelated, make_resource(institution, "OWN-HOST"))
    assert identifiers(affected_services(network)) == expected
    assert identifiers(affected_services(storage)) == expected[1::2]
    assert "ALONE" not in identifiers(affected_services(network))


def test_affected_services_across_institutions(
    institution: Institution,
    other_institution: Institution,
    make_service: Make,
    make_resource: Make,
    make_user: Make,
    depend: Make,
) -> None:
    """A VRA network that SPA's application runs on affects SPA's services; who sees which of
    them is still decided by the service's own visibility rule."""
    network = make_resource(institution, "VRA-NET", type="network")
    vra_service = make_service(institution, "VRA-SVC")
    depend(vra_service, network)
    spa_app = make_resource(other_institution, "SPA-APP", type="application")
    depend(spa_app, network)
    spa_public = make_service(other_institution, "SPA-PUBLIC")
    spa_internal = make_service(other_institution, "SPA-INTERNAL", is_public=False)
    depend(spa_public, spa_app)
    depend(spa_internal, spa_app)

    assert identifiers(affected_services(network)) == ["SPA-INTERNAL", "SPA-PUBLIC", "VRA-SVC"]
    vra_staff = make_user("vra-darbinieks", institution, Role.SUPPORT_SPECIALIST)
    spa_staff = make_user("spa-darbinieks", other_institution, Role.SUPPORT_SPECIALIST)
    assert identifiers(affected_services(network).visible_to(vra_staff)) == [
        "SPA-PUBLIC",
        "VRA-SVC",
    ]
    assert identifiers(affected_services(network).visible_to(spa_staff)) == [
        "SPA-INTERNAL",
        "SPA-PUBLIC",
        "VRA-SVC",
    ]


def test_a_resource_no_service_depends_on_affects_nothing(
    institution: Institution, make_service: Make, make_resource: Make, depend: Make
) -> None:
    lonely = make_resource(institution, "LONELY")
    below = make_resource(institution, "BELOW", type="storage")
    depend(lonely, below)  # it depends on something, but nothing depends on it
    depend(make_service(institution, "SVC"), below)
    assert list(affected_services(lonely)) == []
    assert dependents_closure([lonely.pk]) == {lonely.pk}


def test_a_service_reached_only_indirectly_is_affected(
    superuser: User,
    institution: Institution,
    make_service: Make,
    make_resource: Make,
    depend: Make,
) -> None:
    svc = make_service(institution, "SVC")
    app = make_resource(institution, "APP", type="application")
    register = make_resource(institution, "REG", type="data_register")
    storage = make_resource(institution, "STORAGE", type="storage")
    depend(svc, app)
    depend(app, register)
    depend(register, storage)
    assert not svc.dependencies.filter(resource=storage).exists()
    assert identifiers(affected_services(storage)) == ["SVC"]
    # Removing the middle edge breaks the only path.
    edge = ResourceDependency.objects.get(resource=app, depends_on=register)
    ops.remove_resource_dependency(actor=superuser, edge=edge)
    assert list(affected_services(storage)) == []


def test_walks_terminate_on_cyclic_data(
    institution: Institution, make_service: Make, make_resource: Make, depend: Make
) -> None:
    """Cycles are refused on write, but a walk must not loop if bad data got in anyway."""
    a, b, c = (make_resource(institution, i) for i in ("A", "B", "C"))
    depend(a, b)
    depend(b, c)
    ResourceDependency.objects.create(resource=c, depends_on=a)  # bypasses the check
    depend(make_service(institution, "SVC"), a)
    assert dependents_closure([a.pk]) == {a.pk, b.pk, c.pk}
    assert dependencies_closure([c.pk]) == {a.pk, b.pk, c.pk}
    assert identifiers(affected_services(b)) == ["SVC"]


# --- Refusing cycles ---------------------------------------------------------------------------


def cycle_error(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    [message] = exc.value.message_dict["depends_on"]
    return message


def test_self_dependency_is_refused(
    superuser: User, institution: Institution, make_resource: Make
) -> None:
    a = make_resource(institution, "A", name="Alfa")
    before = db_counts()
    with pytest.raises(ValidationError) as exc:
        ops.add_resource_dependency(actor=superuser, resource=a, depends_on=a)
    assert cycle_error(exc) == "“Alfa” cannot depend on itself."
    assert db_counts() == before


def test_two_cycle_is_refused_naming_both(
    superuser: User, institution: Institution, make_resource: Make, depend: Make
) -> None:
    a = make_resource(institution, "A", name="Alfa")
    b = make_resource(institution, "B", name="Bēta")
    depend(a, b)
    before = db_counts()
    with pytest.raises(ValidationError) as exc:
        ops.add_resource_dependency(actor=superuser, resource=b, depends_on=a)
    assert cycle_error(exc) == "This dependency would create a cycle: Bēta → Alfa → Bēta."
    assert db_counts() == before


def test_three_cycle_is_refused_naming_every_resource_in_order(
    superuser: User, institution: Institution, make_resource: Make, depend: Make
) -> None:
    a = make_resource(institution, "A", name="Alfa")
    b = make_resource(institution, "B", name="Bēta")
    c = make_resource(institution, "C", name="Gamma")
    depend(a, b)
    depend(b, c)
    with pytest.raises(ValidationError) as exc:
        ops.add_resource_dependency(actor=superuser, resource=c, depends_on=a)
    assert cycle_error(exc) == "This dependency would create a cycle: Gamma → Alfa → Bēta → Gamma."
    assert not ResourceDependency.objects.filter(resource=c).exists()


def test_cycle_through_another_institution_is_refused(
    superuser: User,
    institution: Institution,
    other_institution: Institution,
    make_resource: Make,
    depend: Make,
) -> None:
    a = make_resource(institution, "A", name="VRA lietotne")
    x = make_resource(other_institution, "X", name="SPA serveris")
    b = make_resource(institution, "B", name="VRA tīkls")
    depend(a, x)
    depend(x, b)
    with pytest.raises(ValidationError) as exc:
        ops.add_resource_dependency(actor=superuser, resource=b, depends_on=a)
    message = cycle_error(exc)
    assert message == (
        "This dependency would create a cycle: VRA tīkls → VRA lietotne → SPA serveris → VRA tīkls."
    )


def test_a_second_path_is_not_a_cycle(
    superuser: User, institution: Institution, make_resource: Make, depend: Make
) -> None:
    a, b, c = (make_resource(institution, i) for i in ("A", "B", "C"))
    depend(a, b)
    depend(b, c)
    ops.add_resource_dependency(actor=superuser, resource=a, depends_on=c)  # a shortcut, no cycle
    assert ResourceDependency.objects.count() == 3


# --- find_cycle ----------------------------------------------------------------------------------


def random_dag(seed: int, nodes: int = 300, edges: int = 900) -> list[tuple[Hashable, Hashable]]:
    """Edges only go from a lower to a higher rank, under shuffled string labels."""
    rng = random.Random(seed)
    labels = [f"n{i}" for i in range(nodes)]
    rng.shuffle(labels)
    result = set()
    while len(result) < edges:
        i, j = sorted(rng.sample(range(nodes), 2))
        result.add((labels[i], labels[j]))
    edge_list: list[tuple[Hashable, Hashable]] = list(result)
    rng.shuffle(edge_list)
    return edge_list


def assert_real_cycle(cycle: list[Hashable] | None, edges: list[tuple[Hashable, Hashable]]) -> None:
    assert cycle is not None
    assert len(cycle) >= 2
    assert cycle[0] == cycle[-1]
    assert len(set(cycle[:-1])) == len(cycle) - 1, "a simple cycle visits each node once"
    edge_set = set(edges)
    for pair in itertools.pairwise(cycle):
        assert pair in edge_set, f"{pair} is not an edge"


@pytest.mark.parametrize("seed", range(8))
def test_find_cycle_on_random_dags_finds_none(seed: int) -> None:
    assert find_cycle(random_dag(seed)) is None


@pytest.mark.parametrize("seed", range(8))
def test_find_cycle_finds_an_injected_cycle(seed: int) -> None:
    rng = random.Random(1000 + seed)
    nodes = 200
    edges = [(f"n{i}", f"n{i + 1}") for i in range(0, nodes - 1, 2)]  # some chain pieces
    edges += [
        (f"n{i}", f"n{j}")
        for i, j in (sorted(rng.sample(range(nodes), 2)) for _ in range(500))
        if (f"n{i}", f"n{j}") not in edges
    ]
    # A back edge along an existing path makes exactly the cycles that pass through it.
    low = rng.randrange(0, nodes // 2) * 2
    high = low + 1
    edges.append((f"n{high}", f"n{low}"))
    rng.shuffle(edges)
    assert_real_cycle(find_cycle(edges), edges)


def test_find_cycle_small_cases() -> None:
    assert find_cycle([]) is None
    assert find_cycle([("a", "b")]) is None
    assert find_cycle([("a", "a")]) == ["a", "a"]
    edges = [("a", "b"), ("b", "a")]
    assert_real_cycle(find_cycle(edges), edges)
    edges = [("x", "y"), ("a", "b"), ("b", "c"), ("c", "a"), ("y", "z")]
    cycle = find_cycle(edges)
    assert_real_cycle(cycle, edges)
    assert set(cycle or []) == {"a", "b", "c"}
    # Diamond: two paths to one node are not a cycle.
    assert find_cycle([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]) is None
    # Tuple nodes, as the importer uses them.
    edges = [((1, "A"), (2, "B")), ((2, "B"), (1, "A"))]
    assert_real_cycle(find_cycle(edges), edges)


def test_find_cycle_on_a_long_chain_has_no_recursion_limit() -> None:
    n = 20_000
    chain = [(i, i + 1) for i in range(n - 1)]
    assert find_cycle(chain) is None
    closed = [*chain, (n - 1, 0)]
    cycle = find_cycle(closed)
    assert_real_cycle(cycle, closed)
    assert len(cycle or []) == n + 1
    # The same, listed backwards, so the search starts from the far end.
    reverse = list(reversed(closed))
    assert_real_cycle(find_cycle(reverse), reverse)


def test_find_cycle_reports_the_cycle_not_the_path_into_it() -> None:
    edges = [("s", "t"), ("t", "u"), ("u", "v"), ("v", "t")]
    cycle = find_cycle(edges)
    assert_real_cycle(cycle, edges)
    assert "s" not in (cycle or [])


def test_closures_on_a_long_chain_in_the_database(
    institution: Institution, superuser: User
) -> None:
    """A deep chain (one query per level) is walked completely."""
    resources = [
        ops.create_resource(
            actor=superuser,
            institution=institution,
            data=ops.ResourceData(identifier=f"R{i:03d}", name=f"R{i:03d}", type="server"),
        )
        for i in range(60)
    ]
    ResourceDependency.objects.bulk_create(
        ResourceDependency(resource=a, depends_on=b) for a, b in itertools.pairwise(resources)
    )
    service = ops.create_service(
        actor=superuser,
        institution=institution,
        data=ops.ServiceData(identifier="TOP", name="Top"),
    )
    ops.add_service_dependency(actor=superuser, service=service, resource=resources[0])
    assert dependents_closure([resources[-1].pk]) == {r.pk for r in resources}
    assert [s.pk for s in affected_services(resources[-1])] == [service.pk]
    assert len(path_between(resources[0].pk, resources[-1].pk) or []) == 60
    with pytest.raises(ValidationError) as exc:
        ops.add_resource_dependency(
            actor=superuser, resource=resources[-1], depends_on=resources[0]
        )
    assert exc.value.message_dict["depends_on"][0].count("→") == 60
    assert Service.objects.count() == 1
    assert Resource.objects.count() == 60
