//! Statements written in SQL (what Diesel's DSL cannot say: a statement that writes two
//! tables, search's ranking) that are still prepared once per connection and then only
//! executed, like the DSL's own. `diesel::sql_query`, and an insert of a `Vec` of rows, is
//! prepared anew on every call: a round trip and a parse more each time, on the hot path of
//! every chat turn and search.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Jsonb, Nullable, Text, Timestamptz, Untyped, Uuid as SqlUuid,
};
use uuid::Uuid;

/// One value of a [`Prepared`] statement, with its SQL type.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Uuid(Uuid),
    OptUuid(Option<Uuid>),
    BigInt(i64),
    OptInt(Option<i32>),
    Bool(bool),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
    Times(&'a [DateTime<Utc>]),
    Texts(&'a [String]),
    Uuids(&'a [Uuid]),
    OptJson(Option<&'a serde_json::Value>),
}

impl<'a> Value<'a> {
    fn push<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        match self {
            Self::Text(value) => out.push_bind_param::<Text, _>(value),
            Self::OptText(value) => out.push_bind_param::<Nullable<Text>, _>(value),
            Self::Uuid(value) => out.push_bind_param::<SqlUuid, _>(value),
            Self::OptUuid(value) => out.push_bind_param::<Nullable<SqlUuid>, _>(value),
            Self::BigInt(value) => out.push_bind_param::<BigInt, _>(value),
            Self::OptInt(value) => out.push_bind_param::<Nullable<Integer>, _>(value),
            Self::Bool(value) => out.push_bind_param::<Bool, _>(value),
            Self::Time(value) => out.push_bind_param::<Timestamptz, _>(value),
            Self::OptTime(value) => out.push_bind_param::<Nullable<Timestamptz>, _>(value),
            Self::Times(value) => out.push_bind_param::<Array<Timestamptz>, _>(value),
            Self::Texts(value) => out.push_bind_param::<Array<Text>, _>(value),
            Self::Uuids(value) => out.push_bind_param::<Array<SqlUuid>, _>(value),
            Self::OptJson(value) => out.push_bind_param::<Nullable<Jsonb>, _>(value),
        }
    }
}

/// A statement whose `$1`, `$2`… stand for `values[0]`, `values[1]`…; a value may be used
/// more than once. The text must hold no other `$` followed by a digit (no dollar-quoted
/// bodies, no `$` in literals before a digit).
pub struct Prepared<'a> {
    sql: Cow<'static, str>,
    values: Vec<Value<'a>>,
    cached: bool,
}

impl<'a> Prepared<'a> {
    pub fn new(sql: impl Into<Cow<'static, str>>, values: Vec<Value<'a>>) -> Self {
        Self {
            sql: sql.into(),
            values,
            cached: true,
        }
    }

    /// Planned anew for its values on every call, never from a cached generic plan: for a
    /// statement whose best plan depends on its values (which words, how common), and whose
    /// expressions of them must be worked out once per call, not once per row.
    pub fn planned_each_time(sql: impl Into<Cow<'static, str>>, values: Vec<Value<'a>>) -> Self {
        Self {
            cached: false,
            ..Self::new(sql, values)
        }
    }
}

impl QueryFragment<Pg> for Prepared<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        if !self.cached {
            out.unsafe_to_cache_prepared();
        }
        // Diesel numbers the placeholders itself, in the order values are pushed: each use
        // of `$n` becomes a placeholder of its own bound to the same value.
        let mut rest: &str = &self.sql;
        while let Some(at) = rest.find('$') {
            let after = &rest[at + 1..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                out.push_sql(&rest[..=at]);
                rest = after;
                continue;
            }
            out.push_sql(&rest[..at]);
            let value = after[..digits]
                .parse::<usize>()
                .ok()
                .and_then(|n| self.values.get(n.checked_sub(1)?))
                .ok_or_else(|| {
                    diesel::result::Error::QueryBuilderError(
                        format!("no value for ${} in a prepared statement", &after[..digits])
                            .into(),
                    )
                })?;
            value.push(&mut out)?;
            rest = &after[digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

/// Cached by its text (and its values' types), not by a type of its own.
impl QueryId for Prepared<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// Rows are read by name (`QueryableByName`), as from `sql_query`.
impl Query for Prepared<'_> {
    type SqlType = Untyped;
}

#[cfg(test)]
mod tests {
    use diesel::debug_query;

    use super::*;

    #[test]
    fn each_use_of_a_value_becomes_a_placeholder_bound_to_it() {
        let statement = Prepared::new(
            "SELECT $1, $2 || $1, '$x', $10",
            vec![
                Value::Text("a"),
                Value::BigInt(2),
                Value::Bool(true),
                Value::Bool(true),
                Value::Bool(true),
                Value::Bool(true),
                Value::Bool(true),
                Value::Bool(true),
                Value::Bool(true),
                Value::Bool(false),
            ],
        );
        let shown = debug_query::<Pg, _>(&statement).to_string();
        assert!(
            shown.starts_with("SELECT $1, $2 || $3, '$x', $4 -- binds: [\"a\", 2, \"a\", false]"),
            "{shown}"
        );
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_panic() {
        let statement = Prepared::new("SELECT $2", vec![Value::Bool(true)]);
        let mut sql = String::new();
        let shown = std::fmt::write(
            &mut sql,
            format_args!("{}", debug_query::<Pg, _>(&statement)),
        );
        assert!(shown.is_err());
    }
}
