//! A JSON request body must be an object wherever its OpenAPI schema says object. serde's
//! derive does not refuse the other shape: a derived `Deserialize` reads a struct from a JSON
//! array too, positionally, so `[]` was a valid `AssignmentSetupDto` (every field defaulted)
//! and `PUT …/setup` with `[]` wiped an assignment's setup. [`check`] runs on the parsed body
//! before serde reads it, so such a body is refused with a 422 naming the value (`the request
//! body`, or the path of a nested one), and nothing is written.
//!
//! Why the schema and not a wrapping deserializer: serde buffers flattened fields and
//! internally tagged enums into its private `Content` before it reads the struct inside, and
//! a struct read from that buffer takes a sequence again, past any wrapper. The schema
//! (`ToSchema`, derived from the same serde attributes) describes those values too, and it is
//! the contract the clients read.
//!
//! The check claims only what serde leaves open: where the schema says a value is an object,
//! the value must be a JSON object (or `null` where the schema also admits null); a schema of
//! `null` alone admits only `null` (it is the `None` branch of an optional object). Every
//! other mismatch (a number for a string, a missing field, an unknown enum word) stays
//! serde's, with its own message.

use serde_json::Value;
use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use utoipa::ToSchema;

/// How many `$ref`s are followed in a row without reading into the value: a guard against a
/// schema that refers to itself.
const MAX_REF_HOPS: usize = 32;

/// A value of a request body that is not an object where the schema says object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnObject {
    /// Where the value is: field names and array indexes from the body's root, innermost
    /// last; empty for the body itself.
    path: Vec<Step>,
    /// What the value is instead ("an array", "a string", …).
    found: &'static str,
}

impl NotAnObject {
    /// The path of the value in the body (`visibility`, `outcomes[2].fields`); empty for
    /// the body itself.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for step in &self.path {
            match step {
                Step::Field(name) if out.is_empty() => out.push_str(name),
                Step::Field(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    fn within(mut self, step: Step) -> Self {
        self.path.insert(0, step);
        self
    }
}

impl fmt::Display for NotAnObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(
                f,
                "the request body must be a JSON object (`{{…}}`) with named fields, not {}",
                self.found
            )
        } else {
            write!(
                f,
                "`{}` must be a JSON object (`{{…}}`) with named fields, not {}",
                self.path(),
                self.found
            )
        }
    }
}

impl std::error::Error for NotAnObject {}

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Field(String),
    Index(usize),
}

/// A body type's schema and the schemas it refers to, as JSON.
#[derive(Debug)]
struct BodySchema {
    root: Value,
    named: HashMap<String, Value>,
}

/// The schemas of the body types seen so far: built once a type, they never change.
static SCHEMAS: LazyLock<Mutex<HashMap<TypeId, Arc<BodySchema>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn schema_of<T: ToSchema + 'static>() -> Arc<BodySchema> {
    // A panic while holding the lock cannot leave the map half-written (one insert), so a
    // poisoned lock is still a good cache.
    let mut cache = SCHEMAS.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(cache.entry(TypeId::of::<T>()).or_insert_with(|| {
        let mut refs = Vec::new();
        T::schemas(&mut refs);
        let json = |schema| serde_json::to_value(schema).unwrap_or(Value::Null);
        Arc::new(BodySchema {
            root: json(T::schema()),
            named: refs
                .into_iter()
                .map(|(name, schema)| (name, json(schema)))
                .collect(),
        })
    }))
}

/// Checks a parsed body of type `T` against `T`'s schema: every value the schema says is an
/// object must be one.
pub fn check<T: ToSchema + 'static>(body: &Value) -> Result<(), NotAnObject> {
    let schema = schema_of::<T>();
    schema.walk(body, &schema.root, 0)
}

/// What a JSON value is, in words.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The JSON Schema type names a schema declares (`"type": "object"` or `["object", "null"]`).
fn declared_types(schema: &serde_json::Map<String, Value>) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

impl BodySchema {
    fn resolve(&self, reference: &str) -> Option<&Value> {
        let name = reference.strip_prefix("#/components/schemas/")?;
        self.named.get(name)
    }

    /// Checks `value` against `schema`; `hops` counts the `$ref`s followed since the last
    /// step into the value.
    fn walk(&self, value: &Value, schema: &Value, hops: usize) -> Result<(), NotAnObject> {
        let Some(schema) = schema.as_object() else {
            return Ok(()); // `true`, `false` or nonsense: no claim about objects
        };
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            return match self.resolve(reference) {
                Some(target) if hops < MAX_REF_HOPS => self.walk(value, target, hops + 1),
                _ => Ok(()),
            };
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for part in all {
                self.walk(value, part, hops)?;
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                self.one_of(value, branches, hops)?;
            }
        }
        self.own_claims(value, schema)?;
        match value {
            Value::Object(fields) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                let additional = schema.get("additionalProperties");
                for (name, field) in fields {
                    let field_schema = properties.and_then(|p| p.get(name)).or(additional);
                    if let Some(field_schema) = field_schema {
                        self.walk(field, field_schema, 0)
                            .map_err(|e| e.within(Step::Field(name.clone())))?;
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.walk(item, item_schema, 0)
                            .map_err(|e| e.within(Step::Index(i)))?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The claims of the schema node itself (not of its parts): an object where it says
    /// object, `null` where it says only null.
    fn own_claims(
        &self,
        value: &Value,
        schema: &serde_json::Map<String, Value>,
    ) -> Result<(), NotAnObject> {
        let types = declared_types(schema);
        let refuse = || {
            Err(NotAnObject {
                path: Vec::new(),
                found: kind(value),
            })
        };
        if types == ["null"] && !value.is_null() {
            return refuse();
        }
        let says_object = types.contains(&"object")
            || (types.is_empty()
                && (schema.contains_key("properties")
                    || schema
                        .get("additionalProperties")
                        .is_some_and(Value::is_object)));
        let admitted = match value {
            Value::Object(_) => true,
            Value::Array(_) => types.contains(&"array"),
            Value::Null => types.contains(&"null"),
            Value::Bool(_) => types.contains(&"boolean"),
            Value::Number(_) => types.contains(&"number") || types.contains(&"integer"),
            Value::String(_) => types.contains(&"string"),
        };
        if says_object && !admitted {
            return refuse();
        }
        Ok(())
    }

    /// A value of a union passes when one branch that fits it passes. A branch fits unless
    /// its own claims refuse the value, or it names a tag (a property whose schema is a list
    /// of words) that the value has with another word: so a tagged enum's value is checked
    /// against its own variant.
    fn one_of(&self, value: &Value, branches: &[Value], hops: usize) -> Result<(), NotAnObject> {
        let mut first_refusal = None;
        for branch in branches {
            if !self.tag_fits(value, branch, hops) {
                continue;
            }
            match self.walk(value, branch, hops) {
                Ok(()) => return Ok(()),
                Err(refusal) => {
                    first_refusal.get_or_insert(refusal);
                }
            }
        }
        match first_refusal {
            Some(refusal) => Err(refusal),
            // No branch's tag fits: serde names the unknown variant.
            None => Ok(()),
        }
    }

    /// Whether the tags a branch names (directly, through `$ref` or `allOf`) agree with the
    /// value's.
    fn tag_fits(&self, value: &Value, branch: &Value, hops: usize) -> bool {
        let Some(branch) = branch.as_object() else {
            return true;
        };
        if let Some(reference) = branch.get("$ref").and_then(Value::as_str) {
            return match self.resolve(reference) {
                Some(target) if hops < MAX_REF_HOPS => self.tag_fits(value, target, hops + 1),
                _ => true,
            };
        }
        if let Some(all) = branch.get("allOf").and_then(Value::as_array)
            && !all.iter().all(|part| self.tag_fits(value, part, hops))
        {
            return false;
        }
        let (Some(fields), Some(properties)) = (
            value.as_object(),
            branch.get("properties").and_then(Value::as_object),
        ) else {
            return true;
        };
        properties.iter().all(|(name, property)| {
            let words = property.get("enum").and_then(Value::as_array);
            match (words, fields.get(name)) {
                (Some(words), Some(Value::String(word))) => {
                    words.iter().any(|w| w.as_str() == Some(word))
                }
                _ => true,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::bulk::BulkRequest;
    use crate::setup::assignment_setup::AssignmentSetupDto;
    use crate::setup::data_owners::{FieldsRequest, GdprRequest};
    use crate::setup::tokens::IssueTokenRequest;
    use serde_json::json;

    fn refused<T: ToSchema + 'static>(body: Value) -> String {
        match check::<T>(&body) {
            Err(refusal) => refusal.to_string(),
            Ok(()) => panic!("{body} passed the check"),
        }
    }

    #[test]
    fn a_body_that_is_no_object_is_refused_naming_the_body() {
        for body in [
            json!([]),
            json!([[], {}]),
            json!("x"),
            json!(1),
            json!(null),
        ] {
            let detail = refused::<AssignmentSetupDto>(body.clone());
            assert!(
                detail.starts_with("the request body must be a JSON object"),
                "{body}: {detail}"
            );
        }
    }

    #[test]
    fn a_nested_struct_sent_as_an_array_is_refused_by_its_path() {
        // serde alone takes it: every visibility field `null`, the assignment open to all.
        let body = json!({ "visibility": [null, null, null] });
        assert!(serde_json::from_value::<AssignmentSetupDto>(body.clone()).is_ok());
        let detail = refused::<AssignmentSetupDto>(body);
        assert!(detail.starts_with("`visibility` must be"), "{detail}");
        let detail = refused::<AssignmentSetupDto>(
            json!({ "communication": { "sms_templates": [["a", "", "b"]] } }),
        );
        assert!(
            detail.starts_with("`communication.sms_templates[0]` must be"),
            "{detail}"
        );
    }

    #[test]
    fn an_internally_tagged_variant_sent_as_an_array_is_refused() {
        // serde reads `["field", "k", "ascending"]` as the `field` rule: the tag first.
        let body = json!({ "priority": [["field", "k", "ascending"]] });
        assert!(serde_json::from_value::<AssignmentSetupDto>(body.clone()).is_ok());
        let detail = refused::<AssignmentSetupDto>(body);
        assert!(detail.starts_with("`priority[0]` must be"), "{detail}");
    }

    #[test]
    fn an_optional_object_takes_null_or_an_object_only() {
        assert_eq!(check::<IssueTokenRequest>(&json!({ "user": null })), Ok(()));
        refused::<GdprRequest>(json!({ "controller": [] }));
        refused::<GdprRequest>(json!({ "controller": "x" }));
    }

    #[test]
    fn well_formed_bodies_pass() {
        let setup = serde_json::to_value(AssignmentSetupDto::default()).expect("serialises");
        assert_eq!(check::<AssignmentSetupDto>(&setup), Ok(()));
        assert_eq!(check::<AssignmentSetupDto>(&json!({})), Ok(()));
        assert_eq!(
            check::<AssignmentSetupDto>(
                &json!({ "priority": [{ "rule": "field", "key": "k", "direction": "ascending" }] })
            ),
            Ok(())
        );
        assert_eq!(
            check::<FieldsRequest>(&json!({ "dataset": "b2b", "fields": [] })),
            Ok(())
        );
        // Type errors other than objects stay serde's: a number where a string is expected.
        assert_eq!(
            check::<AssignmentSetupDto>(&json!({ "customer_view": [1] })),
            Ok(())
        );
    }

    #[test]
    fn a_bulk_action_is_checked_against_its_own_variant() {
        refused::<BulkRequest>(json!([]));
    }
}
