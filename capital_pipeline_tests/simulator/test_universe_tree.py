"""The navigation tree under construction: placement, delisting, bucketed category leaves."""

from __future__ import annotations

from capital_pipeline.simulator.universe_tree import TOP_LEVEL, Tree, bucket_count, bucket_names, slug


def test_a_new_tree_holds_the_eight_top_level_nodes_only() -> None:
    tree = Tree()
    assert [(node.id, node.name) for node in tree.nodes.values()] == list(TOP_LEVEL)


def test_an_epic_is_placed_once_per_leaf_and_removed_from_all_of_them() -> None:
    tree = Tree()
    first = tree.add("hierarchy_v1.forex", "hierarchy_v1.currencies.majors", "Majors")
    second = tree.add("hierarchy_v1.forex", "hierarchy_v1.currencies.usd", "USD")
    for leaf in (first, second, first):
        tree.place(leaf, "EURUSD")
    assert list(tree.nodes[first].epics) == ["EURUSD"] and list(tree.nodes[second].epics) == ["EURUSD"]
    tree.remove("EURUSD")
    assert not tree.nodes[first].epics and not tree.nodes[second].epics


def test_children_keep_the_order_they_were_added_in() -> None:
    tree = Tree()
    ids = tree.add_buckets("hierarchy_v1.indices_group", "hierarchy_v1.indices.", ["Americas", "Europe"])
    assert ids == ["hierarchy_v1.indices.americas", "hierarchy_v1.indices.europe"]
    assert tree.nodes["hierarchy_v1.indices_group"].children == ids


def test_bucket_names_use_the_category_then_its_sub_categories_then_numbers() -> None:
    assert bucket_names("Energy", ("Oil & Gas", "Renewables"), 1) == ["Energy"]
    assert bucket_names("Energy", ("Oil & Gas", "Renewables"), 3) == [
        "Oil & Gas",
        "Renewables",
        "Oil & Gas 2",
    ]
    assert bucket_names("Exotics", (), 2) == ["Exotics", "Exotics 2"]


def test_bigger_scales_cut_categories_into_more_leaves() -> None:
    assert bucket_count(10, 1) == 1
    assert bucket_count(3500, 30) > 30 * bucket_count(3500 / 30, 1)


def test_slugs_follow_the_real_node_id_style() -> None:
    assert slug("Aerospace & Defence 2") == "aerospace_defence_2"
    assert slug("All Shares") == "all_shares"
