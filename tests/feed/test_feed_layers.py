"""Inside the feed, the layers below the interfaces never import the API layer.

Services broadcast through :mod:`apps.feed.streaming` and read through the selectors; if
either reached ``apps.feed.api`` (DRF serializers, views), a service would depend on an
interface above it: services -> streaming -> api.serializers was such a chain. The
import graph is built as import-linter builds it (grimp), so indirect chains count too.
"""

import grimp
import pytest

#: The feed's modules below its interfaces: none may reach the API layer, even indirectly.
BELOW_THE_INTERFACES = [
    "apps.feed.services",
    "apps.feed.selectors",
    "apps.feed.streaming",
    "apps.feed.fanout",
    "apps.feed.entities",
    "apps.feed.models",
]
API = "apps.feed.api"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("apps", cache_dir=None)


def chains_to_the_api(graph: grimp.ImportGraph) -> dict[str, list[str]]:
    """For each module below the interfaces that reaches ``apps.feed.api``, one such chain."""
    found = {}
    for module in BELOW_THE_INTERFACES:
        for importer in [module, *sorted(graph.find_descendants(module))]:
            for imported in [API, *sorted(graph.find_descendants(API))]:
                chain = graph.find_shortest_chain(importer=importer, imported=imported)
                if chain:
                    found[module] = list(chain)
                    break
            if module in found:
                break
    return found


def test_services_selectors_and_streaming_never_import_the_api_layer(graph):
    # given the feed's import graph / then no module below the interfaces reaches the API
    assert chains_to_the_api(graph) == {}


def test_the_check_catches_a_service_reaching_the_api_through_streaming(graph):
    # given the inversion as it was: streaming importing the API's serializers
    graph.add_import(importer="apps.feed.streaming", imported="apps.feed.api.serializers")
    try:
        # when checked / then the services are caught through streaming
        found = chains_to_the_api(graph)
    finally:
        graph.remove_import(importer="apps.feed.streaming", imported="apps.feed.api.serializers")

    # (the chain may go on to a module the serializers import, such as api.filters)
    assert found["apps.feed.streaming"][:2] == ["apps.feed.streaming", "apps.feed.api.serializers"]
    assert found["apps.feed.services"][0] == "apps.feed.services"
    assert "apps.feed.streaming" in found["apps.feed.services"]
