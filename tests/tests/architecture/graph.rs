//! Cycles in a directed graph of names (features and what they use).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Each name and the names it points to.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// One cycle for each group of names that reach each other, as its path
/// `[a, b, c, a]`, shortest through the group's first name; none if the
/// graph is acyclic.
pub fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let reach: BTreeMap<&str, BTreeSet<&str>> = graph
        .keys()
        .map(|name| (name.as_str(), reachable_from(graph, name)))
        .collect();
    let mut covered = BTreeSet::new();
    let mut cycles = Vec::new();
    for (&start, reached) in &reach {
        if covered.contains(start) || !reached.contains(start) {
            continue;
        }
        let reaches_back = |name: &&str| reach.get(name).is_some_and(|r| r.contains(start));
        covered.extend(reached.iter().copied().filter(reaches_back));
        cycles.push(shortest_cycle_through(graph, start));
    }
    cycles
}

/// The names reachable from `start` in one step or more.
fn reachable_from<'g>(graph: &'g Graph, start: &str) -> BTreeSet<&'g str> {
    let mut reached = BTreeSet::new();
    let mut to_visit: Vec<&str> = next_of(graph, start).collect();
    while let Some(name) = to_visit.pop() {
        if reached.insert(name) {
            to_visit.extend(next_of(graph, name));
        }
    }
    reached
}

/// The shortest path from `start` back to itself; `start` is on a cycle.
fn shortest_cycle_through(graph: &Graph, start: &str) -> Vec<String> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(name) = queue.pop_front() {
        for next in next_of(graph, name) {
            if next == start {
                return path_back(&came_from, start, name);
            }
            if !came_from.contains_key(next) {
                came_from.insert(next, name);
                queue.push_back(next);
            }
        }
    }
    unreachable!("{start} is on a cycle")
}

/// `start → … → last → start`, from the breadth-first search's links.
fn path_back(came_from: &BTreeMap<&str, &str>, start: &str, last: &str) -> Vec<String> {
    let mut path = vec![start.to_string(), last.to_string()];
    let mut name = last;
    while name != start {
        name = came_from[name];
        path.push(name.to_string());
    }
    path.reverse();
    path
}

fn next_of<'g>(graph: &'g Graph, name: &str) -> impl Iterator<Item = &'g str> {
    graph.get(name).into_iter().flatten().map(String::as_str)
}
