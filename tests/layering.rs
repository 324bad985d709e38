//! The kernel's layering, checked: hardware code does not call up into policy,
//! and no cycle of `use`s joins files of different folders.
//!
//! The kernel is layered: `arch` and `drivers` (and what they need: `memory`,
//! `sync`, `output`, `symbols`...) know nothing about threads, tests, the shell,
//! the clock's listeners or the input queue; those register *hooks* with the
//! lower layers instead (see docs/interrupts.md, "Layers and hooks"). Nothing
//! in the compiler enforces that, so this test does: it reads every file of
//! `kernel/src`, collects the modules each one names (`use crate::...`,
//! `crate::x::y`, `super::...`, and the `print!`/`println!` macros, which are
//! `output`), and then
//!
//! 1. follows those edges from every file of the machine layer (`arch`,
//!    `drivers`, `memory`, `output`, ... see [`MACHINE`]) and fails if any
//!    path reaches a policy module ([`POLICY`]);
//! 2. finds the strongly connected components (Tarjan's algorithm) of the
//!    file graph and fails if one joins files of different folders, unless
//!    all its files are in the machine layer or it is one of the few
//!    explained in [`ALLOWED`]. (Cycles between files of one folder, such as
//!    the scheduler and the context switch, are allowed.) Every cycle found
//!    is printed.
//!
//! Run it alone with `cargo test --test layering -- --nocapture` to see the
//! components. It is a text scan, not a compiler: it sees names, so a path
//! spelled in a comment is ignored (comments are stripped) but one in a
//! string literal would count.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules that decide what happens (policy): `arch` and `drivers` must not
/// reach them.
const POLICY: &[&str] = &[
    "tasks",
    "testing",
    "shell",
    "time",
    "input",
    "input_stream",
    "panic",
    "fault_policy",
    "bench",
    "process",
    "syscall",
];

/// The machine layer: the CPU, devices, memory and the console. Cycles among
/// its files are allowed: an exception report prints (`arch::exceptions` ->
/// `output` -> `drivers::serial`), the serial driver registers its interrupt
/// handler (-> `arch::interrupts`), guard pages are unmapped through
/// `memory::paging` (`arch::guard`), ACPI and the APICs are reached through
/// `memory::phys_to_virt`, and `memory` prints its reports. (Moving the serial
/// port's receive side out of `drivers/serial.rs` into a file of its own would
/// cut the one edge back into `arch` that `output` brings.)
const MACHINE: &[&str] = &[
    "arch", "drivers", "memory", "output", "sync", "symbols", "logger", "boot",
];

/// Small cycles between top-level files of the policy layer, each explained.
const ALLOWED: &[(&[&str], &str)] = &[
    (
        &["input", "input_stream"],
        "one queue read two ways: `push` wakes the stream's tasks, the stream reads the queue",
    ),
    (
        &["fault_policy", "testing"],
        "`testing::run` is the test kernels' boot story and installs the fault policy, \
         which hands an exception during a test back to the harness",
    ),
];

/// Macros and the module that defines them.
const MACROS: &[(&str, &str)] = &[
    ("print", "output"),
    ("println", "output"),
    ("test", "testing"),
    ("should_panic", "testing"),
    ("test_kernel", "testing"),
];

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn machine_layer_does_not_reach_policy() {
    let graph = kernel_graph();
    let mut wrong = Vec::new();
    for file in graph.keys().filter(|f| is_hardware(f)) {
        for reached in reachable(&graph, file) {
            if is_policy(&reached) {
                wrong.push(format!(
                    "{file} -> ... -> {reached}: {:?}",
                    path(&graph, file, &reached)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the machine layer reaches policy:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn cycles_stay_within_one_folder() {
    let graph = kernel_graph();
    let mut wrong = Vec::new();
    for component in components(&graph).into_iter().filter(|c| c.len() > 1) {
        println!("cycle: {component:?}");
        let folders: BTreeSet<&str> = component.iter().map(|f| folder(f)).collect();
        let one_folder = folders.len() == 1 && !folders.contains("");
        let machine = component.iter().all(|f| MACHINE.contains(&top(f)));
        let allowed = ALLOWED
            .iter()
            .find(|(files, _)| *files == component.as_slice());
        if let Some((_, why)) = allowed {
            println!("  allowed: {why}");
        } else if !one_folder && !machine {
            wrong.push(format!("{component:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "cycles across folders:\n{}",
        wrong.join("\n")
    );
}

/// The checks themselves see what they must: on a small made-up graph with
/// an up-call and a cross-folder cycle, both are found.
#[test]
fn the_checks_find_an_up_call_and_a_cycle() {
    let mut graph = Graph::new();
    let mut edge = |from: &str, to: &str| {
        graph.entry(from.into()).or_default().insert(to.into());
        graph.entry(to.into()).or_default();
    };
    edge("arch::interrupts", "output");
    edge("output", "tasks::scheduler");
    edge("tasks::scheduler", "arch::interrupts");
    edge("tasks::scheduler", "tasks::switch");
    edge("tasks::switch", "tasks::scheduler");
    assert!(reachable(&graph, "arch::interrupts").contains("tasks::scheduler"));
    let big: Vec<_> = components(&graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .collect();
    assert_eq!(big.len(), 1);
    assert_eq!(big[0].len(), 4, "{big:?}");
}

#[test]
fn references_are_found_in_use_trees_and_paths() {
    let text = "use super::{entry::Frame, guard};\n\
                // crate::tasks in a comment does not count\n\
                use crate::{arch::{self, cpu}, output};\n\
                fn f() { crate::tasks::crash::end(); println!(\"x\"); }";
    let modules: BTreeSet<String> = references(text, "arch::exceptions").into_iter().collect();
    for expected in [
        "arch::entry::Frame",
        "arch::guard",
        "arch",
        "arch::cpu",
        "output",
        "tasks::crash::end",
        "output",
    ] {
        assert!(modules.contains(expected), "{expected} in {modules:?}");
    }
    assert!(!modules.iter().any(|m| m == "tasks"), "{modules:?}");
    // In a folder's `mod.rs`, a bare path names a child module.
    let in_folder: Vec<String> = references("pub use scheduler::init; frames::init();", "tasks");
    assert_eq!(in_folder, ["tasks::scheduler::init", "tasks::frames::init"]);
}

// --- The graph ---------------------------------------------------------------

fn kernel_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("kernel/src")
}

/// Every kernel module (file) and the modules it names.
fn kernel_graph() -> Graph {
    let root = kernel_src();
    let mut files = Vec::new();
    collect_files(&root, &mut files);
    let modules: BTreeMap<String, PathBuf> = files
        .iter()
        .filter_map(|f| module_of(&root, f).map(|m| (m, f.clone())))
        .collect();
    assert!(
        modules.contains_key("arch::interrupts"),
        "found {modules:?}"
    );
    let mut graph = Graph::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).expect("readable source");
        let edges = graph.entry(module.clone()).or_default();
        for path in references(&text, module) {
            if let Some(target) = longest_module(&modules, &path)
                && target != *module
            {
                edges.insert(target);
            }
        }
    }
    graph
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("kernel/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `arch/mod.rs` -> `arch`, `arch/gdt.rs` -> `arch::gdt`; `lib.rs` and
/// `main.rs` (the crate roots) are not modules of their own.
fn module_of(root: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(root).ok()?.with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    let module = parts.join("::");
    (module != "lib" && module != "main").then_some(module)
}

/// The longest known module that `path` starts with.
fn longest_module(modules: &BTreeMap<String, PathBuf>, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = path.split("::").collect();
    while !parts.is_empty() {
        let candidate = parts.join("::");
        if modules.contains_key(&candidate) {
            return Some(candidate);
        }
        parts.pop();
    }
    None
}

/// Every crate-relative path that the file of `module` names.
fn references(text: &str, module: &str) -> Vec<String> {
    let tokens = tokens(&strip_comments(text));
    let parent: Vec<&str> = {
        let mut p: Vec<&str> = module.split("::").collect();
        p.pop();
        p
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        let is_path_start = is_ident(t)
            && tokens.get(i + 1).is_some_and(|n| n == "::")
            && (i == 0 || tokens[i - 1] != "::");
        if is_path_start {
            // `crate::a`, `super::a`, `self::a`, or a bare `a::b`, which names
            // a child module in a folder's `mod.rs` (or an outside crate, which
            // then matches no module of ours and is dropped).
            let (base, start): (Vec<&str>, usize) = match t {
                "crate" | "$crate" => (Vec::new(), i + 2),
                "super" => (parent.clone(), i + 2),
                "self" => (module.split("::").collect(), i + 2),
                _ => (module.split("::").collect(), i),
            };
            let base = base.into_iter().map(String::from).collect();
            i = use_tree(&tokens, start, base, &mut found);
            continue;
        }
        if let Some((_, home)) = MACROS.iter().find(|(name, _)| *name == t)
            && tokens.get(i + 1).is_some_and(|n| n == "!")
        {
            found.push(home.to_string());
        }
        i += 1;
    }
    found
}

/// Parses a path or use tree starting at `tokens[i]` below `base`; pushes
/// every complete path; returns the index after it.
fn use_tree(
    tokens: &[String],
    mut i: usize,
    mut base: Vec<String>,
    out: &mut Vec<String>,
) -> usize {
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                loop {
                    match tokens.get(i).map(String::as_str) {
                        Some("}") => return i + 1,
                        Some(",") => i += 1,
                        None => return i,
                        _ => i = use_tree(tokens, i, base.clone(), out),
                    }
                }
            }
            Some("self") => {
                out.push(base.join("::"));
                return i + 1;
            }
            Some("super") => {
                base.pop();
                i += 1;
            }
            Some(word) if is_ident(word) => {
                base.push(word.to_string());
                i += 1;
            }
            _ => {
                out.push(base.join("::"));
                return i;
            }
        }
        if tokens.get(i).is_some_and(|t| t == "::") {
            i += 1;
        } else {
            out.push(base.join("::"));
            return i;
        }
    }
}

fn is_ident(word: &str) -> bool {
    word.chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// The text without `//` comments (doc comments included) and `/* */` blocks.
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/") {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        if after.starts_with("//") {
            rest = after.find('\n').map_or("", |end| &after[end..]);
        } else if after.starts_with("/*") {
            rest = after.find("*/").map_or("", |end| &after[end + 2..]);
        } else {
            out.push('/');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Identifiers, `::`, and single punctuation characters.
fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".into());
            i += 2;
        } else {
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
            i += 1;
        }
    }
    tokens
}

// --- Graph questions ---------------------------------------------------------

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// The folder of a module's file: `arch` for `arch::gdt`, "" for a file at
/// the top (`time`); a folder's `mod.rs` belongs to the folder.
fn folder(module: &str) -> &str {
    match module.rsplit_once("::") {
        Some((folder, _)) => folder,
        None if [
            "arch", "drivers", "memory", "tasks", "shell", "bench", "syscall", "process",
            "terminal",
        ]
        .contains(&module) =>
        {
            module
        }
        None => "",
    }
}

fn is_hardware(module: &str) -> bool {
    MACHINE.contains(&top(module))
}

fn is_policy(module: &str) -> bool {
    POLICY.contains(&top(module))
}

fn reachable(graph: &Graph, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(module) = stack.pop() {
        for next in graph.get(&module).into_iter().flatten() {
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    seen
}

/// One shortest chain of modules from `from` to `to` (for the message).
fn path(graph: &Graph, from: &str, to: &str) -> Vec<String> {
    let mut came_from: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from.to_string()]);
    while let Some(module) = queue.pop_front() {
        if module == to {
            let mut chain = vec![module.clone()];
            while let Some(previous) = came_from.get(chain.last().unwrap()) {
                chain.push(previous.clone());
            }
            chain.reverse();
            return chain;
        }
        for next in graph.get(&module).into_iter().flatten() {
            if next != from && !came_from.contains_key(next) {
                came_from.insert(next.clone(), module.clone());
                queue.push_back(next.clone());
            }
        }
    }
    Vec::new()
}

/// Strongly connected components, by Tarjan's algorithm.
fn components(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.out
}
