//! Three-valued lookups: a property of a model value is written, absent, or unknown (behind a
//! value the tool cannot evaluate), and a question about it is answered yes, no or unknown, so
//! that rules only report what is certain.

use crate::model::{Node, Value};

/// A three-valued answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Unknown,
}

/// A property looked up through possibly-unknown objects.
#[derive(Clone, Copy, Debug)]
pub enum Prop<'a> {
    /// Not written (or written as `null`).
    Absent,
    /// The property or one of the objects above it is unknown.
    Unknown,
    /// A value that is not itself symbolic (its contents may still be partly unknown).
    Known(&'a Node),
}

impl<'a> Prop<'a> {
    pub fn known(self) -> Option<&'a Node> {
        match self {
            Prop::Known(n) => Some(n),
            _ => None,
        }
    }
}

/// Follow a dotted path from `node`, telling an absent property from an unknown one.
pub fn lookup<'a>(node: &'a Node, dotted: &str) -> Prop<'a> {
    let mut cur = node;
    for key in dotted.split('.') {
        match &cur.value {
            Value::Sym(_) => return Prop::Unknown,
            Value::Object(o) => match o.get(key) {
                Some(n) => cur = n,
                None => return Prop::Absent,
            },
            // `null` or a scalar where an object is expected: nothing is set below it.
            _ => return Prop::Absent,
        }
    }
    match &cur.value {
        Value::Sym(_) => Prop::Unknown,
        Value::Null => Prop::Absent,
        _ => Prop::Known(cur),
    }
}

/// Case-insensitive comparison of a known string.
pub fn str_is(node: &Node, expected: &str) -> Tri {
    match &node.value {
        Value::Str(s) if s.eq_ignore_ascii_case(expected) => Tri::Yes,
        Value::Sym(_) => Tri::Unknown,
        _ => Tri::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::model;
    use serde_json::json;

    #[test]
    fn lookup_tells_absent_from_unknown() {
        let m = model(
            json!([{"type": "Microsoft.ContainerRegistry/registries", "name": "r", "properties": "${param:p}",
                               "sku": {"name": null}}]),
        );
        let r = &m.resources[0];
        assert!(matches!(
            lookup(&r.body, "properties.encryption"),
            Prop::Unknown
        ));
        assert!(matches!(lookup(&r.body, "sku.name"), Prop::Absent));
        assert!(matches!(lookup(&r.body, "identity.type"), Prop::Absent));
        assert_eq!(str_is(r.get("sku").unwrap(), "Premium"), Tri::No);
    }
}
