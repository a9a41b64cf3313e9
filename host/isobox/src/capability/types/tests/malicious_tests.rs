//! Node trees a hostile guest could send: every one is a typed error, never
//! a panic, a hang or a stack overflow.

use super::*;

fn raw(method: &str, nodes: &[JsNode]) -> BridgeError {
    match lift_args("t", values(), method, nodes) {
        Ok(vals) => panic!("{method} accepted {nodes:?}: {vals:?}"),
        Err(error) => error,
    }
}

fn malformed(method: &str, nodes: &[JsNode]) -> String {
    match raw(method, nodes) {
        error @ BridgeError::Malformed { .. } => error.to_string(),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn the_root_must_be_an_array() {
    assert_eq!(
        malformed("nothing", &[]),
        "t.nothing: malformed value tree: the arguments (node 0) are not an array"
    );
    assert_eq!(
        malformed("nothing", &[JsNode::Object(vec![])]),
        "t.nothing: malformed value tree: the arguments (node 0) are not an array"
    );
}

// A node tree may hold no more references than nodes besides the root
// (checked first), so these trees carry spare `null` nodes to reach the
// checks made while walking.

#[test]
fn indices_out_of_range() {
    assert_eq!(
        malformed("echoU8", &[JsNode::Array(vec![5]), JsNode::Null]),
        "t.echoU8: malformed value tree: args[0]: node 5 does not exist"
    );
    assert_eq!(
        malformed(
            "echoList",
            &[JsNode::Array(vec![1]), JsNode::Array(vec![u32::MAX]), JsNode::Null]
        ),
        "t.echoList: malformed value tree: args[0][0]: node 4294967295 does not exist"
    );
}

#[test]
fn cycles_and_shared_nodes() {
    let used_twice = "is used twice (a cycle or a shared value)";
    // The root as its own argument.
    assert_eq!(
        malformed("echoNested", &[JsNode::Array(vec![0]), JsNode::Null]),
        format!("t.echoNested: malformed value tree: args[0]: node 0 {used_twice}")
    );
    // A list containing itself.
    assert_eq!(
        malformed(
            "echoNested",
            &[JsNode::Array(vec![1]), JsNode::Array(vec![1]), JsNode::Null]
        ),
        format!("t.echoNested: malformed value tree: args[0][0]: node 1 {used_twice}")
    );
    // Two elements sharing one node (a DAG that would expand exponentially).
    let shared = [
        JsNode::Array(vec![1]),
        JsNode::Array(vec![2, 2]),
        JsNode::Number(1.0),
        JsNode::Null,
    ];
    assert_eq!(
        malformed("echoList", &shared),
        format!("t.echoList: malformed value tree: args[0][1]: node 2 {used_twice}")
    );
    // Two arguments sharing one node.
    let shared = [
        JsNode::Array(vec![1, 2, 1]),
        JsNode::String("a".into()),
        JsNode::Null,
        JsNode::Null,
    ];
    assert_eq!(
        malformed("optionalTail", &shared),
        format!("t.optionalTail: malformed value tree: args[2]: node 1 {used_twice}")
    );
}

#[test]
fn duplicate_keys() {
    let nodes = [
        JsNode::Array(vec![1]),
        JsNode::Object(vec![("x".into(), 2), ("y".into(), 3), ("x".into(), 4)]),
        JsNode::Number(1.0),
        JsNode::Number(2.0),
        JsNode::Number(3.0),
    ];
    assert_eq!(
        malformed("echoPoint", &nodes),
        "t.echoPoint: malformed value tree: args[0]: duplicate key \"x\""
    );
    let nodes = [
        JsNode::Array(vec![1]),
        JsNode::Object(vec![("tag".into(), 2), ("tag".into(), 3)]),
        JsNode::String("empty".into()),
        JsNode::String("empty".into()),
    ];
    assert_eq!(
        malformed("echoShape", &nodes),
        "t.echoShape: malformed value tree: args[0]: duplicate key \"tag\""
    );
}

#[test]
fn node_count_and_bytes_are_bounded() {
    let limits = TreeLimits {
        max_nodes: 10,
        ..TreeLimits::default()
    };
    let mut nodes = vec![JsNode::Array(vec![1])];
    nodes.push(JsNode::Array((2..12).collect()));
    nodes.extend((0..10).map(|_| JsNode::Number(1.0)));
    let error = lift_args_with_limits("t", values(), "echoList", &nodes, &limits).unwrap_err();
    assert_eq!(error.to_string(), "t.echoList: arguments too large: more than 10 nodes");
    // The same tree within the limit passes.
    assert!(lift_args_with_limits("t", values(), "echoList", &nodes, &TreeLimits::default()).is_ok());

    let limits = TreeLimits {
        max_bytes: 100,
        ..TreeLimits::default()
    };
    let nodes = [JsNode::Array(vec![1]), JsNode::Bytes(vec![0; 101])];
    let error = lift_args_with_limits("t", values(), "echoBytes", &nodes, &limits).unwrap_err();
    assert!(
        matches!(
            error,
            BridgeError::TooLarge {
                limit: 100,
                unit: "bytes",
                ..
            }
        ),
        "{error:?}"
    );
    // Keys count too, even when never read.
    let nodes = [JsNode::Array(vec![]), JsNode::Object(vec![("k".repeat(101), 0)])];
    let error = lift_args_with_limits("t", values(), "nothing", &nodes, &limits).unwrap_err();
    assert!(
        matches!(error, BridgeError::TooLarge { unit: "bytes", .. }),
        "{error:?}"
    );
}

#[test]
fn nesting_is_bounded() {
    let limits = TreeLimits {
        max_depth: 2,
        ..TreeLimits::default()
    };
    let ok = flatten(&arr(vec![arr(vec![arr(vec![s("a")])])]));
    let error = lift_args_with_limits("t", values(), "echoNested", &ok, &limits).unwrap_err();
    assert!(
        matches!(
            error,
            BridgeError::TooLarge {
                limit: 2,
                unit: "levels of nesting",
                ..
            }
        ),
        "{error:?}"
    );
    let limits = TreeLimits {
        max_depth: 3,
        ..TreeLimits::default()
    };
    assert!(lift_args_with_limits("t", values(), "echoNested", &ok, &limits).is_ok());
}

#[test]
fn a_million_levels_deep_is_refused_at_the_type_s_depth() {
    // Walking follows the WIT type, which nests at most MAX_TYPE_DEPTH
    // levels, so a deeper tree fails where the type ends, on a small stack.
    let depth = 1_000_000u32;
    let mut nodes: Vec<JsNode> = (1..=depth).map(|i| JsNode::Array(vec![i])).collect();
    nodes.push(JsNode::Number(0.0));
    let limits = TreeLimits {
        max_nodes: usize::MAX,
        ..TreeLimits::default()
    };
    let handle = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            lift_args_with_limits("t", values(), "echoNested", &nodes, &limits)
                .unwrap_err()
                .to_string()
        })
        .unwrap();
    assert_eq!(
        handle.join().unwrap(),
        "t.echoNested: args[0][0][0]: expected string, got an array of 1 elements"
    );
}

#[test]
fn results_are_bounded_too() {
    let list = Val::List((0..100).map(Val::U32).collect());
    let limits = TreeLimits {
        max_nodes: 50,
        ..TreeLimits::default()
    };
    let error = lower_result_with_limits("t", values(), "echoList", std::slice::from_ref(&list), &limits).unwrap_err();
    assert_eq!(error.to_string(), "t.echoList: result too large: more than 50 nodes");
    assert_eq!(lower_result("t", values(), "echoList", &[list]).unwrap().len(), 101);

    let limits = TreeLimits {
        max_bytes: 10,
        ..TreeLimits::default()
    };
    let text = Val::String("x".repeat(11));
    let error = lower_result_with_limits("t", values(), "echoString", &[text], &limits).unwrap_err();
    assert!(
        matches!(
            error,
            BridgeError::TooLarge {
                what: "result",
                unit: "bytes",
                ..
            }
        ),
        "{error:?}"
    );

    let limits = TreeLimits {
        max_depth: 1,
        ..TreeLimits::default()
    };
    let nested = Val::List(vec![Val::List(vec![])]);
    let error = lower_result_with_limits("t", values(), "echoNested", &[nested], &limits).unwrap_err();
    assert!(
        matches!(
            error,
            BridgeError::TooLarge {
                unit: "levels of nesting",
                ..
            }
        ),
        "{error:?}"
    );
}

/// xorshift64*: deterministic noise for the fuzz test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn random_node(rng: &mut Rng, count: u32) -> JsNode {
    let index = |rng: &mut Rng| rng.below(u64::from(count) + 2) as u32;
    let keys = [
        "x", "y", "tag", "val", "ok", "err", "fullName", "age", "tags", "read", "value", "bare", "name", "zz",
    ];
    let strings = [
        "",
        "a",
        "circle",
        "rect",
        "empty",
        "maybe",
        "red",
        "dark-green",
        "ab",
        "😀",
    ];
    match rng.below(10) {
        0 => JsNode::Undefined,
        1 => JsNode::Null,
        2 => JsNode::Boolean(rng.below(2) == 0),
        3 => JsNode::Number(
            [
                0.0,
                -0.0,
                1.0,
                -1.0,
                0.5,
                255.0,
                256.0,
                f64::NAN,
                f64::INFINITY,
                9_007_199_254_740_992.0,
            ][rng.below(10) as usize],
        ),
        4 => JsNode::BigInt(["0", "-1", "18446744073709551616", "x", ""][rng.below(5) as usize].to_owned()),
        5 => JsNode::String(strings[rng.below(strings.len() as u64) as usize].to_owned()),
        6 => JsNode::Bytes(vec![0; rng.below(6) as usize]),
        7 => JsNode::Array((0..rng.below(5)).map(|_| index(rng)).collect()),
        _ => JsNode::Object(
            (0..rng.below(4))
                .map(|_| (keys[rng.below(keys.len() as u64) as usize].to_owned(), index(rng)))
                .collect(),
        ),
    }
}

#[test]
fn random_trees_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let methods: Vec<String> = values().functions().iter().map(|f| f.js_name.clone()).collect();
    let mut accepted = 0;
    for _ in 0..20_000 {
        let count = 1 + rng.below(12) as u32;
        let mut nodes: Vec<JsNode> = (0..count).map(|_| random_node(&mut rng, count)).collect();
        if rng.below(4) != 0 {
            let args = (0..rng.below(4)).map(|i| 1 + i as u32).collect();
            nodes[0] = JsNode::Array(args);
        }
        let method = &methods[rng.below(methods.len() as u64) as usize];
        if let Ok(vals) = lift_args("t", values(), method, &nodes) {
            accepted += 1;
            // What was accepted is a well-typed value: echoing it back works.
            if method.starts_with("echo") {
                lower_result("t", values(), method, &vals[..1]).unwrap();
            }
        }
    }
    // Some random trees are valid calls, so both paths were exercised.
    assert!(accepted > 100, "{accepted}");
}

#[test]
fn more_references_than_nodes_are_refused_before_allocating() {
    // One array naming node 1 ten million times: refused before a vector
    // of ten million values is made.
    let nodes = [JsNode::Array(vec![1]), JsNode::Array(vec![1; 10_000_000])];
    assert_eq!(
        malformed("echoNested", &nodes),
        "t.echoNested: malformed value tree: more references (10000001) than nodes besides the root (1)"
    );
    // Unreferenced extra nodes are harmless.
    let nodes = [JsNode::Array(vec![1]), JsNode::Number(1.0), JsNode::Null, JsNode::Null];
    assert!(lift_args("t", values(), "echoU8", &nodes).is_ok());
}

#[test]
fn bytes_count_as_the_values_they_become() {
    let limits = TreeLimits {
        max_values: 1000,
        ..TreeLimits::default()
    };
    // The arguments array's element is one value, its bytes 999 more.
    let ok = [JsNode::Array(vec![1]), JsNode::Bytes(vec![0; 999])];
    assert!(lift_args_with_limits("t", values(), "echoBytes", &ok, &limits).is_ok());
    let over = [JsNode::Array(vec![1]), JsNode::Bytes(vec![0; 1000])];
    let error = lift_args_with_limits("t", values(), "echoBytes", &over, &limits).unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.echoBytes: arguments too large: more than 1000 values (a list<u8> makes one per byte)"
    );
    // The default takes a 1 MiB Uint8Array.
    let mib = [JsNode::Array(vec![1]), JsNode::Bytes(vec![7; 1 << 20])];
    assert!(lift_args("t", values(), "echoBytes", &mib).is_ok());
}
